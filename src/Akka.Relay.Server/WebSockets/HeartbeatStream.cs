using System.Runtime.CompilerServices;
using System.Net.WebSockets;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// The transport under one session's <see cref="WebSocket"/>: passes bytes through, notes when the client last
/// sent anything and whether it answered the last ping with a Pong, and writes the pings the shared
/// <see cref="HeartbeatScheduler"/> asks for between the WebSocket's own frames. It replaces the WebSocket's
/// own keep-alive, which is a timer per socket firing every quarter of the ping interval.
/// </summary>
internal sealed class HeartbeatStream : DuplexStream
{
    // FIN + opcode 0x9 (Ping), unmasked (server frames are never masked), empty payload.
    private static readonly byte[] PingFrame = [0x89, 0x00];

    private const byte PongOpcode = 0xA;
    private const byte CloseOpcode = 0x8;

    private readonly Stream _inner;

    // Neither Kestrel's upgraded stream nor a connection's transport drops the connection on Dispose (they cannot tell
    // a close from an abort): an aborted socket aborts the connection, as ASP.NET's own accept does.
    private readonly Action _abort;

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
            write = _inner.WriteAsync(PingFrame);
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
    // Pooled: an idle session's read is answered by a Pong every ping interval and a new read starts; without the pool
    // each one left its state machine as garbage in gen2 and allocated a new one that lived on there.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Received(buffer.Span[..read]);
        return read;
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
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

            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (_pingOwed && !_closing)
            {
                _pingOwed = false;
                await _inner.WriteAsync(PingFrame, cancellationToken).ConfigureAwait(false);
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
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }


    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _closing = true;
            AbortIfAborted();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _closing = true;
        AbortIfAborted();
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void AbortIfAborted()
    {
        // The WebSocket disposes its stream when it is aborted (a missed Pong, the close timeout): drop the connection.
        if (_socket?.State == WebSocketState.Aborted)
        {
            _abort();
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
