using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// The transport under one session's <see cref="WebSocket"/>: passes bytes through, notes when the client last
/// sent anything and whether it answered the last ping with a Pong, and writes the pings the shared
/// <see cref="HeartbeatScheduler"/> asks for between the WebSocket's own frames. It replaces the WebSocket's
/// own keep-alive, which is a timer per socket firing every quarter of the ping interval. Below HTTP it runs on the
/// connection's pipes themselves (bytes a client sent right behind its handshake included); after an upgrade through
/// ASP.NET, on the upgraded stream.
/// </summary>
internal sealed class HeartbeatStream : DuplexStream
{
    // FIN + opcode 0x9 (Ping), unmasked (server frames are never masked), empty payload.
    private static readonly byte[] PingFrame = [0x89, 0x00];

    private const byte PongOpcode = 0xA;
    private const byte CloseOpcode = 0x8;

    // Exactly one transport: a connection's pipes (below HTTP) or a stream (an upgrade through ASP.NET). Reading the
    // pipe here rather than through a stream over it leaves an idle session one pending read, not two.
    private readonly Stream? _inner;
    private readonly PipeReader? _input;
    private readonly PipeWriter? _output;

    // Neither Kestrel's upgraded stream nor a connection's transport drops the connection on Dispose (they cannot tell
    // a close from an abort): an aborted socket aborts the connection, as ASP.NET's own accept does. One of the two:
    // below HTTP the connection itself (no delegate per session), after an upgrade through ASP.NET its abort.
    private readonly ConnectionContext? _connection;
    private readonly Action? _abort;

    // Every write (the WebSocket's frames and our pings) goes through this gate: the transport takes one at a time,
    // and a ping must never land inside a frame.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private WebSocket? _socket;

    // Environment.TickCount64 of the last bytes read from the client, and of the unanswered ping (0: none).
    private long _lastReceived = Environment.TickCount64;
    private long _pingSentAt;

    // A ping is due but a frame was being written: whoever holds the write gate next sends it.
    private volatile bool _pingOwed;

    // Set once a close frame went out or came in: from then on the close handshake (and its timeout) rules.
    private volatile bool _closing;

    // Where the scan of the client's frames is: only headers are looked at, payloads are skipped by their length.
    private ScanState _state;
    private byte _opcode;
    private bool _masked;
    private int _headerBytesLeft;
    private long _payloadLeft;

    /// <summary>Wraps <paramref name="inner"/>, the stream of a connection that <paramref name="abort"/> drops.</summary>
    public HeartbeatStream(Stream inner, Action abort)
    {
        _inner = inner;
        _abort = abort;
    }

    /// <summary>
    /// Runs on the pipes of <paramref name="connection"/>. Disposing the stream leaves the pipes alone: the connection
    /// ends when its handler returns.
    /// </summary>
    public HeartbeatStream(ConnectionContext connection)
    {
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
    }

    private enum ScanState : byte
    {
        FirstByte,
        LengthByte,
        ExtendedLength,
        MaskKey,
        Payload,
    }

    /// <summary>The position in the <see cref="HeartbeatScheduler"/>'s list (-1: not in it); owned by the scheduler.</summary>
    internal int SchedulerSlot { get; set; } = -1;

    /// <summary>The socket built on this stream: what a missed Pong aborts.</summary>
    public void Attach(WebSocket socket) => _socket = socket;

    /// <summary>
    /// One heartbeat check at <paramref name="now"/> (Environment.TickCount64): aborts the socket when the last ping
    /// went unanswered for <paramref name="pongTimeoutMs"/>, or pings when the client has been silent for
    /// <paramref name="pingIntervalMs"/>.
    /// </summary>
    public void Beat(long now, long pingIntervalMs, long pongTimeoutMs)
    {
        if (_closing || _socket is not { } socket)
        {
            return;
        }

        var pingSentAt = Volatile.Read(ref _pingSentAt);
        if (pingSentAt != 0)
        {
            if (now - pingSentAt >= pongTimeoutMs)
            {
                // The read pump sees the abort and reports the session as a heartbeat timeout.
                socket.Abort();
            }
            else if (_pingOwed)
            {
                TryWritePing();
            }

            return;
        }

        if (now - Volatile.Read(ref _lastReceived) >= pingIntervalMs)
        {
            // The Pong's deadline runs from now even when a frame being written holds the ping back: a write that
            // never finishes (a client that stopped reading) must not keep the session alive.
            Volatile.Write(ref _pingSentAt, now);
            _pingOwed = true;
            TryWritePing();
        }
    }

    private void TryWritePing()
    {
        // Busy with a frame: the writer sends the ping right after it, or the next tick does.
        if (!_writeGate.Wait(0))
        {
            return;
        }

        ValueTask write;
        try
        {
            if (_closing)
            {
                _writeGate.Release();
                return;
            }

            _pingOwed = false;
            write = WriteTransportAsync(PingFrame, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone: the read pump reports it.
            _writeGate.Release();
            return;
        }

        if (write.IsCompletedSuccessfully)
        {
            _writeGate.Release();
            return;
        }

        _ = ReleaseAfterAsync(write);
    }

    private async Task ReleaseAfterAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection is gone: the read pump reports it.
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _input is { } input ? ReadPipeAsync(input, buffer, cancellationToken) : ReadStreamAsync(_inner!, buffer, cancellationToken);

    // Both reads are pooled: an idle session's read is answered by a Pong every ping interval and a new read starts;
    // without the pool each one left its state machine as garbage in gen2 and allocated a new one that lived on there.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadStreamAsync(Stream inner, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Received(buffer.Span[..read]);
        return read;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadPipeAsync(PipeReader input, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = result.Buffer;
            if (!data.IsEmpty)
            {
                var count = (int)Math.Min(data.Length, buffer.Length);
                var taken = data.Slice(0, count);
                taken.CopyTo(buffer.Span);
                input.AdvanceTo(taken.End);
                Received(buffer.Span[..count]);
                return count;
            }

            input.AdvanceTo(data.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return 0;
            }
        }
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (_inner is null)
        {
            // The WebSocket only reads asynchronously; a blocking read on the pipes goes through the same path.
            var copy = new byte[buffer.Length];
            var count = ReadAsync(copy).AsTask().GetAwaiter().GetResult();
            copy.AsSpan(0, count).CopyTo(buffer);
            return count;
        }

        var read = _inner.Read(buffer);
        Received(buffer[..read]);
        return read;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The WebSocket writes each frame in one call, header first: a close frame ends the pings.
            if (!buffer.IsEmpty && (buffer.Span[0] & 0x0F) == CloseOpcode)
            {
                _closing = true;
            }

            await WriteTransportAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (_pingOwed && !_closing)
            {
                _pingOwed = false;
                await WriteTransportAsync(PingFrame, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_output is { } output)
            {
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _inner!.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Writes to the transport and, on the pipes, flushes: the WebSocket writes each frame in one call.</summary>
    private ValueTask WriteTransportAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_output is null)
        {
            return _inner!.WriteAsync(data, cancellationToken);
        }

        var flush = _output.WriteAsync(data, cancellationToken);
        return flush.IsCompletedSuccessfully ? default : AwaitFlushAsync(flush);

        static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush) => await flush.ConfigureAwait(false);
    }


    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _closing = true;
            AbortIfAborted();
            _inner?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _closing = true;
        AbortIfAborted();
        if (_inner is not null)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void AbortIfAborted()
    {
        // The WebSocket disposes its stream when it is aborted (a missed Pong, the close timeout): drop the connection.
        if (_socket?.State == WebSocketState.Aborted)
        {
            if (_connection is not null)
            {
                _connection.Abort();
            }
            else
            {
                _abort!();
            }
        }
    }

    /// <summary>Bytes read from the client: the client is alive; a Pong answers the ping.</summary>
    private void Received(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        Volatile.Write(ref _lastReceived, Environment.TickCount64);
        var i = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case ScanState.Payload:
                    var skip = (int)Math.Min(_payloadLeft, data.Length - i);
                    i += skip;
                    _payloadLeft -= skip;
                    if (_payloadLeft == 0)
                    {
                        _state = ScanState.FirstByte;
                    }

                    break;
                case ScanState.FirstByte:
                    _opcode = (byte)(data[i++] & 0x0F);
                    _state = ScanState.LengthByte;
                    break;
                case ScanState.LengthByte:
                    var b = data[i++];
                    _masked = (b & 0x80) != 0;
                    var length = b & 0x7F;
                    _payloadLeft = length < 126 ? length : 0;
                    if (length >= 126)
                    {
                        _headerBytesLeft = length == 126 ? 2 : 8;
                        _state = ScanState.ExtendedLength;
                    }
                    else
                    {
                        LengthKnown();
                    }

                    break;
                case ScanState.ExtendedLength:
                    _payloadLeft = (_payloadLeft << 8) | data[i++];
                    if (--_headerBytesLeft == 0)
                    {
                        LengthKnown();
                    }

                    break;
                case ScanState.MaskKey:
                    i++;
                    if (--_headerBytesLeft == 0)
                    {
                        HeaderDone();
                    }

                    break;
            }
        }
    }

    private void LengthKnown()
    {
        if (_masked)
        {
            _headerBytesLeft = 4;
            _state = ScanState.MaskKey;
        }
        else
        {
            HeaderDone();
        }
    }

    private void HeaderDone()
    {
        if (_opcode == PongOpcode)
        {
            Volatile.Write(ref _pingSentAt, 0);
        }
        else if (_opcode == CloseOpcode)
        {
            _closing = true;
        }

        _state = _payloadLeft == 0 ? ScanState.FirstByte : ScanState.Payload;
    }
}
