using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// A connection's transport as the <see cref="Stream"/> a WebSocket runs on: reads what the input pipe holds (bytes a
/// client sent right behind its handshake included), writes and flushes to the output pipe. Disposing it leaves the
/// pipes alone: the connection ends when its handler returns.
/// </summary>
internal sealed class DuplexPipeStream : DuplexStream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    /// <summary>Wraps <paramref name="transport"/>.</summary>
    public DuplexPipeStream(IDuplexPipe transport)
    {
        _input = transport.Input;
        _output = transport.Output;
    }

    /// <inheritdoc />
    // Pooled: an idle session's read is answered by a Pong every ping interval and a new read starts; without the pool
    // each one left its state machine as garbage in gen2 and allocated a new one that lived on there.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = result.Buffer;
            if (!data.IsEmpty)
            {
                var count = (int)Math.Min(data.Length, buffer.Length);
                var taken = data.Slice(0, count);
                taken.CopyTo(buffer.Span);
                _input.AdvanceTo(taken.End);
                return count;
            }

            _input.AdvanceTo(data.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return 0;
            }
        }
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async Task FlushAsync(CancellationToken cancellationToken) =>
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
}
