using Akka.Actor;
using Akka.Event;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Protocol;

namespace Akka.Relay.Cluster.Hub;

/// <summary>
/// A cluster hub's record of the SENDs it handed to directories: it re-sends each one until the receiver's
/// directory has answered, passes the answers on in each session's SEND order, and gives up only after a long
/// ceiling, with an error (never a guessed "not online").
/// </summary>
/// <remarks>
/// <para>A shard that moves (a node leaves, joins or crashes) drops the SENDs buffered for it, so an unanswered
/// SEND is sent again every retry interval. Each RouteSend names the SEND before it to the same receiver that is
/// still unanswered (<see cref="RouteSend.Previous"/>): the receiver's entity delivers a SEND only once that one is
/// done, so a retried SEND cannot be overtaken by the ones behind it, and receiving hubs drop the copies a retry
/// makes. Unanswered SENDs per receiver are the only chain state: a receiver with nothing in flight costs nothing.</para>
/// <para>Answers about different receivers come from different nodes and can arrive in any order; a session gets
/// them in the order it sent.</para>
/// </remarks>
internal sealed class AnswerLedger(TimeSpan retryInterval, TimeSpan giveUpAfter, ILoggingAdapter log)
{
    // How often at most the log says that SENDs were given up on.
    private static readonly TimeSpan GiveUpReportInterval = TimeSpan.FromSeconds(10);

    private const int MaxSpareChains = 64;

    // Retries wait 1, 2, 4, then 4 retry intervals: after a crash, SENDs go again within 4 intervals (1.2 s by
    // default) of the shard's new home being known.
    private const int MaxBackoffDoublings = 2;

    private readonly Dictionary<IActorRef, Queue<Entry>> _bySession = new();
    private readonly Dictionary<long, Entry> _unresolved = new();
    // Per receiver, its unresolved SENDs in SEND order: each RouteSend names its predecessor here.
    private readonly Dictionary<ulong, List<Entry>> _byReceiver = new();
    private readonly List<Entry> _givenUp = new();
    // Chains of receivers with nothing in flight, kept for reuse: most SENDs find their receiver's chain empty.
    private readonly Stack<List<Entry>> _spareChains = new();
    private long _nextSequence;

    /// <summary>True while some SEND waits for its answer (the hub checks for retries only then).</summary>
    public bool AnyUnresolved => _unresolved.Count > 0;

    /// <summary>True while the hub must keep calling <see cref="RetryDue"/>: a SEND is unresolved, or a give-up is not yet reported.</summary>
    public bool NeedsRetryChecks => AnyUnresolved || _givenUpUnreported > 0;

    /// <summary>Records a SEND of <paramref name="session"/> (user <paramref name="senderId"/>, client message id <paramref name="mid"/>); returns what to hand to the directory.</summary>
    public RouteSend Add(IActorRef session, ulong senderId, ulong receiver, byte[] payload, string? mid)
    {
        if (!_bySession.TryGetValue(session, out var pending))
        {
            pending = new Queue<Entry>();
            _bySession[session] = pending;
        }

        if (!_byReceiver.TryGetValue(receiver, out var chain))
        {
            chain = _spareChains.TryPop(out var spare) ? spare : new List<Entry>(4);
            _byReceiver[receiver] = chain;
        }

        var now = Environment.TickCount64;
        var entry = new Entry(++_nextSequence, session, senderId, receiver, payload, now + GiveUpMs)
        {
            RetryAtMs = now + RetryMs,
            Mid = mid,
        };
        var previous = chain.Count > 0 ? chain[^1].Sequence : 0;
        chain.Add(entry);
        pending.Enqueue(entry);
        _unresolved[entry.Sequence] = entry;
        return entry.ToRouteSend(previous);
    }

    /// <summary>Takes one answer from <paramref name="from"/> (a receiving hub, or the directory itself); once every hub it was handed to answered, passes it on.</summary>
    public void Answer(SendRouted routed, IActorRef from)
    {
        if (!_unresolved.TryGetValue(routed.Sequence, out var entry))
        {
            return; // Answered already (a retry's copy answering too), or its session has ended.
        }

        // A retried SEND may be answered for each copy, by hubs counted differently (a node became unreachable
        // meanwhile): the fewest hubs any copy was handed to is enough, and one hub counts once.
        entry.AnswersDue = Math.Min(entry.AnswersDue ?? int.MaxValue, routed.Hubs);
        entry.AnyDelivered |= routed.Delivered;
        entry.AnyStored |= routed.Stored;
        entry.InboxUnavailable |= routed.InboxUnavailable;
        if (entry.AnswersDue == 1)
        {
            // The common case: one receiving hub (or the directory) answered for all.
            Resolve(entry, entry.Decided);
            return;
        }

        entry.AnsweredBy ??= new List<IActorRef>(entry.AnswersDue.Value);
        if (!entry.AnsweredBy.Contains(from))
        {
            entry.AnsweredBy.Add(from);
        }

        if (entry.AnsweredBy.Count >= entry.AnswersDue)
        {
            Resolve(entry, entry.Decided);
        }
    }

    /// <summary>Hands <paramref name="resend"/> every SEND whose retry is due (oldest first per receiver) and gives up on those past the ceiling.</summary>
    public void RetryDue(Action<RouteSend> resend)
    {
        var now = Environment.TickCount64;
        foreach (var (receiver, chain) in _byReceiver)
        {
            var previous = 0L;
            foreach (var entry in chain)
            {
                if (entry.GiveUpAtMs <= now)
                {
                    _givenUp.Add(entry);
                    continue;
                }

                if (entry.RetryAtMs <= now)
                {
                    // Each wait twice the last, up to a few intervals: a dropped SEND goes again at once, while a
                    // cluster too busy to answer within the interval is not sent every SEND again and again.
                    entry.Retries++;
                    entry.RetryAtMs = now + (RetryMs << Math.Min(entry.Retries, MaxBackoffDoublings));
                    if (entry.Retries == 1)
                    {
                        log.Debug("No answer from the directory of user {0} within {1}: sending again", receiver, retryInterval);
                    }

                    resend(entry.ToRouteSend(previous));
                }

                previous = entry.Sequence;
            }
        }

        foreach (var entry in _givenUp)
        {
            _givenUpUnreported++;
            _lastGivenUpReceiver = entry.Receiver;
            Resolve(entry, SendOutcome.NoRoute);
        }

        _givenUp.Clear();
        ReportGiveUps(now);
    }

    private void ReportGiveUps(long now)
    {
        // One line per GiveUpReportInterval at most, whatever the number of SENDs (a node event must not flood the
        // log); what is held back is reported by a later call (the hub keeps calling while NeedsRetryChecks).
        if (_givenUpUnreported == 0 || now < _nextGiveUpReportMs)
        {
            return;
        }

        log.Warning(
            "No answer from the directory within {0} for {1} SENDs (the last to user {2}): answered with an error; the cluster could not route them",
            giveUpAfter,
            _givenUpUnreported,
            _lastGivenUpReceiver);
        _givenUpUnreported = 0;
        _nextGiveUpReportMs = now + (long)GiveUpReportInterval.TotalMilliseconds;
    }

    /// <summary>Forgets a stopped session's SENDs.</summary>
    public void Forget(IActorRef session)
    {
        if (_bySession.Remove(session, out var pending))
        {
            foreach (var entry in pending)
            {
                if (_unresolved.Remove(entry.Sequence))
                {
                    Unchain(entry);
                }
            }
        }
    }

    // Give-ups not yet reported in the log, and when the next report may be written.
    private int _givenUpUnreported;
    private ulong _lastGivenUpReceiver;
    private long _nextGiveUpReportMs;

    private long RetryMs => (long)retryInterval.TotalMilliseconds;

    private long GiveUpMs => (long)giveUpAfter.TotalMilliseconds;

    private void Resolve(Entry entry, SendOutcome outcome)
    {
        _unresolved.Remove(entry.Sequence);
        Unchain(entry);
        entry.Outcome = outcome;
        if (_bySession.TryGetValue(entry.Session, out var pending))
        {
            PassOn(entry.Session, pending);
        }
    }

    private void Unchain(Entry entry)
    {
        var chain = _byReceiver[entry.Receiver];
        chain.Remove(entry);
        if (chain.Count == 0)
        {
            _byReceiver.Remove(entry.Receiver);
            if (_spareChains.Count < MaxSpareChains)
            {
                _spareChains.Push(chain);
            }
        }
    }

    private void PassOn(IActorRef session, Queue<Entry> pending)
    {
        while (pending.TryPeek(out var oldest) && oldest.Outcome is { } outcome)
        {
            pending.Dequeue();
            // NoRoute: neither "success send" nor "not online" would be true; the cluster could not tell.
            session.Tell(new SendAck(oldest.Receiver, outcome));
        }

        if (pending.Count == 0)
        {
            _bySession.Remove(session);
        }
    }

    private sealed class Entry(long sequence, IActorRef session, ulong senderId, ulong receiver, byte[] payload, long giveUpAtMs)
    {
        public long Sequence { get; } = sequence;

        public IActorRef Session { get; } = session;

        public ulong SenderId { get; } = senderId;

        public ulong Receiver { get; } = receiver;

        /// <summary>Kept for retries until the SEND is answered.</summary>
        public byte[] Payload { get; } = payload;

        /// <summary>When the SEND is given up on, on the <see cref="Environment.TickCount64"/> clock.</summary>
        public long GiveUpAtMs { get; } = giveUpAtMs;

        /// <summary>When it is sent again if still unanswered.</summary>
        public long RetryAtMs { get; set; }

        public int Retries { get; set; }

        /// <summary>What the session is told, once known.</summary>
        public SendOutcome? Outcome { get; set; }

        /// <summary>Answers due: the fewest hubs any copy was handed to; unknown until the first answer.</summary>
        public int? AnswersDue { get; set; }

        /// <summary>The hubs (or directory) that answered so far.</summary>
        public List<IActorRef>? AnsweredBy { get; set; }

        /// <summary>Whether any answer so far said delivered.</summary>
        public bool AnyDelivered { get; set; }

        /// <summary>Whether the receiver's inbox said it stored the message.</summary>
        public bool AnyStored { get; set; }

        /// <summary>Whether the receiver's inbox said it could not store the message.</summary>
        public bool InboxUnavailable { get; set; }

        /// <summary>The client's message id, when it gave one.</summary>
        public string? Mid { get; init; }

        /// <summary>What the answers so far add up to (once all are in).</summary>
        public SendOutcome Decided =>
            InboxUnavailable ? SendOutcome.InboxUnavailable
            : AnyDelivered ? SendOutcome.Delivered
            : AnyStored ? SendOutcome.Stored
            : SendOutcome.NotOnline;

        public RouteSend ToRouteSend(long previous) =>
            new(Receiver, Payload, Sequence, previous) { SenderId = SenderId, Mid = Mid };
    }
}
