using System.Net.WebSockets;
using System.Threading.Channels;
using Akka.Relay.Actors.Telemetry;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// A session's bounded outbound queue and the single write pump that drains it, so at most
/// one SendAsync is ever in flight. The actor only enqueues and never waits: a full queue
/// is reported back as false.
/// </summary>
internal sealed class Outbox : IOutboundQueue
{
    private readonly Channel<byte[]> _queue;
    private readonly RelayMetrics? _metrics;
    private volatile CloseSession? _close;

    public Outbox(int capacity, RelayMetrics? metrics = null)
    {
        _metrics = metrics;
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Messages waiting to be written (read by the metrics at scrape time).</summary>
    public int Count => _queue.Reader.Count;

    /// <summary>Queues a message; false when the queue is full or closing.</summary>
    public bool TryEnqueue(byte[] payload) => _queue.Writer.TryWrite(payload);

    /// <summary>Ends the queue; the pump then writes the close frame (after the pending messages unless told to discard them).</summary>
    public void Close(CloseSession close)
    {
        _close ??= close;
        _queue.Writer.TryComplete();
    }

    /// <summary>Writes queued messages until the queue is closed, then the close frame.</summary>
    public async Task PumpAsync(WebSocket socket)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var payload))
                {
                    if (_close is { DiscardPending: true })
                    {
                        break;
                    }

                    await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None)
                        .ConfigureAwait(false);
                    _metrics?.BytesSent(payload.Length);
                }

                if (_close is { DiscardPending: true })
                {
                    break;
                }
            }

            if (_close is { } close && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                // Answers a client's close, or starts ours; the read pump waits for the reply.
                await socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The connection is gone; the read pump sees the same and reports it.
        }
    }
}
