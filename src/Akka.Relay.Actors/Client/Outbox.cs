using System.Net.WebSockets;
using Akka.Relay.Actors.Telemetry;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// A session's outbound queue and the single write pump that drains it, so at most one SendAsync is ever in
/// flight. The actor only enqueues and never waits; a message is refused (the session is a slow consumer) only
/// when its reader is really behind: the queue holds <see cref="ClientSettings.OutboundQueueCapacity"/> messages
/// or more and the socket has not finished a write for <see cref="ClientSettings.SlowConsumerTimeout"/>, or the
/// queue would grow past <see cref="ClientSettings.EffectiveOutboundQueueMaxBytes"/> (the memory bound, whatever the pace).
/// </summary>
internal sealed class Outbox : IOutboundQueue
{
    // A queue that grew past this many messages is dropped once drained, so a burst long ago holds no array.
    private const int KeepDrainedQueueUpTo = 32;

    // The queue is made on the first message and the pump waits on one reusable signal: an idle session's outbox
    // is a few fields (a channel was ~1.4 KiB per session, most of it its first segment).
    private readonly Lock _gate = new();
    private readonly PumpSignal _signal = new();
    private Queue<Outgoing>? _items;
    private int _peak;
    private bool _completed;
    private bool _pumpWaiting;
    private readonly int _capacity;
    private readonly long _maxBytes;
    private readonly long _stallMilliseconds;
    private readonly SendCredit? _credit;
    private readonly RelayMetrics? _metrics;
    private volatile CloseSession? _close;
    private int _count;
    private long _bytes;

    // Environment.TickCount64 when the write in flight began; 0 while none is.
    private long _writeStartedAt;

    public Outbox(ClientSettings settings, SendCredit? credit = null, RelayMetrics? metrics = null)
    {
        _capacity = settings.OutboundQueueCapacity;
        _maxBytes = settings.EffectiveOutboundQueueMaxBytes;
        _stallMilliseconds = (long)settings.SlowConsumerTimeout.TotalMilliseconds;
        _credit = credit;
        _metrics = metrics;
    }

    /// <summary>Messages waiting to be written, the one being written included (read by the metrics at scrape time).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes of the messages counted by <see cref="Count"/>.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Queues a message; false when the reader is really behind (see the class) or the queue is closing.
    /// <paramref name="returnsCredit"/> gives a SEND's credit back once the message (its answer) is written, so a
    /// sender's unwritten answers hold back its own reads.
    /// </summary>
    public bool TryEnqueue(byte[] payload, bool returnsCredit = false)
    {
        var count = Count;
        // A lone message always fits, however large: the bound is on what piles up.
        if (count > 0 && Bytes + payload.Length > _maxBytes)
        {
            return false;
        }

        if (count >= _capacity && IsStalled())
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _bytes, payload.Length);
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                Dequeued(payload.Length);
                return false;
            }

            var items = _items ??= new Queue<Outgoing>();
            items.Enqueue(new Outgoing(payload, returnsCredit));
            _peak = Math.Max(_peak, items.Count);
            wake = _pumpWaiting;
            _pumpWaiting = false;
        }

        if (wake)
        {
            _signal.Set();
        }

        return true;
    }

    /// <summary>Ends the queue; the pump then writes the close frame (after the pending messages unless told to discard them).</summary>
    public void Close(CloseSession close)
    {
        _close ??= close;
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            wake = _pumpWaiting;
            _pumpWaiting = false;
        }

        if (wake)
        {
            _signal.Set();
        }
    }

    /// <summary>Writes queued messages until the queue is closed, then the close frame.</summary>
    public async Task PumpAsync(WebSocket socket)
    {
        try
        {
            while (await WaitToReadAsync().ConfigureAwait(false))
            {
                while (TryRead(out var next))
                {
                    if (_close is { DiscardPending: true })
                    {
                        break;
                    }

                    Volatile.Write(ref _writeStartedAt, Environment.TickCount64);
                    await socket.SendAsync(next.Payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None)
                        .ConfigureAwait(false);
                    Volatile.Write(ref _writeStartedAt, 0);
                    Dequeued(next.Payload.Length);
                    if (next.ReturnsCredit)
                    {
                        _credit?.Return();
                    }

                    _metrics?.BytesSent(next.Payload.Length);
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

    /// <summary>True when a message is queued now or may be after the wait; false once the queue is closed and empty.</summary>
    private ValueTask<bool> WaitToReadAsync()
    {
        lock (_gate)
        {
            if (_items is { Count: > 0 })
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _pumpWaiting = true;
            return _signal.WaitAsync();
        }
    }

    private bool TryRead(out Outgoing next)
    {
        lock (_gate)
        {
            if (_items is not { Count: > 0 } items)
            {
                next = default;
                return false;
            }

            next = items.Dequeue();
            if (items.Count == 0 && _peak > KeepDrainedQueueUpTo)
            {
                _items = null;
                _peak = 0;
            }

            return true;
        }
    }

    /// <summary>
    /// True when a write has been in flight for the slow-consumer timeout: the socket is not draining. A queue that
    /// is long only because the pump has not run yet (a busy machine) is not the reader's fault.
    /// </summary>
    private bool IsStalled()
    {
        var started = Volatile.Read(ref _writeStartedAt);
        return started != 0 && Environment.TickCount64 - started >= _stallMilliseconds;
    }

    private void Dequeued(int length)
    {
        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -length);
    }

    /// <summary>A queued message, and whether writing it returns a SEND's credit.</summary>
    private readonly record struct Outgoing(byte[] Payload, bool ReturnsCredit);
}
