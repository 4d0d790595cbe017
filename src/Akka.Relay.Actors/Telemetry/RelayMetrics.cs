using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Telemetry;

/// <summary>
/// The relay's instruments, on one <see cref="Meter"/> named <see cref="MeterName"/>. One instance per host,
/// created from that host's <see cref="IMeterFactory"/> and handed to the actors, so two relays in one process
/// (tests) never mix their numbers.
/// </summary>
/// <remarks>
/// The hot path only adds to counters with tag values fixed at start (pre-built pairs, no allocation); the
/// gauges are read when a scrape asks for them: the hub publishes its counts into volatile fields, and the
/// outbound queues are summed from a registry of live sessions.
/// </remarks>
public sealed class RelayMetrics
{
    /// <summary>The name of the relay's meter (what a metrics pipeline subscribes to).</summary>
    public const string MeterName = "Akka.Relay";

    private static readonly KeyValuePair<string, object?> TypeSend = new("type", "send");
    private static readonly KeyValuePair<string, object?> TypeBroadcast = new("type", "broadcast");
    private static readonly KeyValuePair<string, object?> TypeRejected = new("type", "rejected");
    private static readonly KeyValuePair<string, object?> TypeSystem = new("type", "system");
    private static readonly KeyValuePair<string, object?> ResultSuccess = new("result", "success_send");
    private static readonly KeyValuePair<string, object?> ResultNotOnline = new("result", "not_online");
    private static readonly KeyValuePair<string, object?> ResultStored = new("result", "stored");
    private static readonly KeyValuePair<string, object?> ResultInboxUnavailable = new("result", "inbox_unavailable");

    // In seconds: the SDK's default boundaries (0, 5, 10, 25 ... 10000) are meant for milliseconds and would put every write in one bucket.
    private static readonly double[] PersistDurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _messagesSent;
    private readonly Counter<long> _acks;
    private readonly Counter<long> _errorReplies;
    private readonly Counter<long> _sessionsOpened;
    private readonly Counter<long> _sessionsClosed;
    private readonly Counter<long> _bytesReceived;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _inboxAppends;
    private readonly Counter<long> _inboxStoreFailures;
    private readonly Counter<long> _inboxReplays;
    private readonly Counter<long> _inboxReplayed;
    private readonly Histogram<double> _inboxPersistDuration;
    private readonly ConcurrentDictionary<IOutboundQueue, byte> _outboxes = new();
    private int _users;
    private int _sessions;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public RelayMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(new MeterOptions(MeterName) { Version = typeof(RelayMetrics).Assembly.GetName().Version?.ToString() });
        _messagesReceived = Meter.CreateCounter<long>("relay.messages.received", "{message}", "Messages received from clients, by type: send, broadcast (CONNECT and CLOSE announcements included), rejected (answered with an error reply).");
        _messagesSent = Meter.CreateCounter<long>("relay.messages.sent", "{message}", "Messages queued for clients, by type: send, broadcast, system (acks, error replies, server API messages).");
        _acks = Meter.CreateCounter<long>("relay.acks", "{ack}", "Acks of SENDs, by result: success_send, not_online.");
        _errorReplies = Meter.CreateCounter<long>("relay.error_replies", "{message}", "Error replies to client messages, by reason.");
        _sessionsOpened = Meter.CreateCounter<long>("relay.sessions.opened", "{session}", "Sessions upgraded to a WebSocket.");
        _sessionsClosed = Meter.CreateCounter<long>("relay.sessions.closed", "{session}", "Sessions ended, by close code and cause.");
        _bytesReceived = Meter.CreateCounter<long>("relay.received", "By", "Bytes of WebSocket message payload received from clients.");
        _bytesSent = Meter.CreateCounter<long>("relay.sent", "By", "Bytes of WebSocket message payload written to clients.");
        _inboxAppends = Meter.CreateCounter<long>("relay.inbox.appends", "{message}", "SENDs stored in a user's inbox (retries of a held mid not counted).");
        _inboxStoreFailures = Meter.CreateCounter<long>("relay.inbox.store_failures", "{message}", "SENDs to a user with an inbox answered 'error: inbox unavailable' (the store failed or did not answer in time).");
        _inboxReplays = Meter.CreateCounter<long>("relay.inbox.replays", "{resume}", "Resumes served: inbox readers opened.");
        _inboxReplayed = Meter.CreateCounter<long>("relay.inbox.replayed", "{message}", "Stored messages replayed to resuming sessions.");
        _inboxPersistDuration = Meter.CreateHistogram<double>(
            "relay.inbox.persist.duration",
            "s",
            "Time from a SEND reaching the hub to its inbox's answer (the store's write included).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PersistDurationBuckets });
        Meter.CreateObservableGauge("relay.sessions.open", () => (long)Volatile.Read(ref _sessions), "{session}", "Sessions registered on this node.");
        Meter.CreateObservableGauge("relay.users.online", () => (long)Volatile.Read(ref _users), "{user}", "Users with at least one session on this node.");
        Meter.CreateObservableGauge("relay.outbound.queued", ObserveQueued, "{message}", "Messages waiting in the outbound queues of this node's sessions.");
        Meter.CreateObservableGauge("relay.outbound.queue.max", ObserveDeepestQueue, "{message}", "The deepest outbound queue of any session on this node.");
    }

    /// <summary>The meter the instruments live on.</summary>
    public Meter Meter { get; }

    internal void MessageReceived(InboundKind kind) => _messagesReceived.Add(1, kind switch
    {
        InboundKind.Send => TypeSend,
        InboundKind.Broadcast => TypeBroadcast,
        _ => TypeRejected,
    });

    internal void MessageSent(OutboundKind kind) => _messagesSent.Add(1, kind switch
    {
        OutboundKind.Send => TypeSend,
        OutboundKind.Broadcast => TypeBroadcast,
        _ => TypeSystem,
    });

    internal void Ack(bool delivered) => _acks.Add(1, delivered ? ResultSuccess : ResultNotOnline);

    internal void InboxAck(bool stored) => _acks.Add(1, stored ? ResultStored : ResultInboxUnavailable);

    /// <summary>A message was stored in an inbox; <paramref name="took"/> from routing to durable.</summary>
    public void InboxAppended(TimeSpan took)
    {
        _inboxAppends.Add(1);
        _inboxPersistDuration.Record(took.TotalSeconds);
    }

    /// <summary>A message could not be stored (store failure or timeout).</summary>
    public void InboxStoreFailed() => _inboxStoreFailures.Add(1);

    internal void InboxReplay(ulong messages)
    {
        _inboxReplays.Add(1);
        _inboxReplayed.Add((long)messages);
    }

    internal void ErrorReply(string reason) => _errorReplies.Add(1, new KeyValuePair<string, object?>("reason", ErrorReasonTags.Of(reason)));

    internal void SessionOpened() => _sessionsOpened.Add(1);

    internal void SessionClosed(string code, string cause) =>
        _sessionsClosed.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("cause", cause));

    internal void BytesReceived(int count) => _bytesReceived.Add(count);

    internal void BytesSent(int count) => _bytesSent.Add(count);

    /// <summary>The hub's current counts, read by the gauges at scrape time (the hub never waits for a reader).</summary>
    internal void PublishSessionCounts(int users, int sessions)
    {
        Volatile.Write(ref _users, users);
        Volatile.Write(ref _sessions, sessions);
    }

    internal void Track(IOutboundQueue queue) => _outboxes.TryAdd(queue, 0);

    internal void Untrack(IOutboundQueue queue) => _outboxes.TryRemove(queue, out _);

    private long ObserveQueued()
    {
        long total = 0;
        foreach (var outbox in _outboxes.Keys)
        {
            total += outbox.Count;
        }

        return total;
    }

    private long ObserveDeepestQueue()
    {
        long deepest = 0;
        foreach (var outbox in _outboxes.Keys)
        {
            deepest = Math.Max(deepest, outbox.Count);
        }

        return deepest;
    }
}

/// <summary>What a message queued for a client is, for <c>relay.messages.sent</c>.</summary>
internal enum OutboundKind
{
    Send,
    Broadcast,
    System,
}

/// <summary>A session's outbound queue, as the queue gauges read it.</summary>
internal interface IOutboundQueue
{
    /// <summary>Messages waiting to be written.</summary>
    int Count { get; }
}
