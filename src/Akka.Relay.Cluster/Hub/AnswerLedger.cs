using Akka.Actor;
using Akka.Event;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Cluster.Directory;

namespace Akka.Relay.Cluster.Hub;

/// <summary>
/// A cluster hub's record of the SENDs it handed to directories: it passes the answers on in each session's SEND
/// order, answers at the deadline when a directory stays silent, and tells the session once a SEND is settled.
/// </summary>
/// <remarks>
/// Answers about different receivers come from different nodes and can arrive in any order; a session gets them
/// in the order it sent. A SEND answered at its deadline stays unsettled (the session keeps counting it against
/// its limit of unanswered SENDs) until its real answer arrives or one more deadline has passed: a slow cluster
/// must not free senders to pile more onto it.
/// </remarks>
internal sealed class AnswerLedger(TimeSpan answerTimeout, ILoggingAdapter log)
{
    // A SEND answered at its deadline is settled anyway after this many more deadlines: by then its node is gone
    // and nothing will answer. Kept short because a session at its limit of unanswered SENDs is not read
    // meanwhile (its pongs neither), and must get going again well before its keep-alive timeout.
    private const int GiveUpAfterDeadlines = 1;

    private readonly Dictionary<IActorRef, Queue<Entry>> _bySession = new();
    private readonly Dictionary<long, Entry> _unsettled = new();
    private long _nextSequence;

    /// <summary>True while some SEND is unsettled (the hub checks deadlines only then).</summary>
    public bool AnyUnsettled => _unsettled.Count > 0;

    /// <summary>Records a SEND of <paramref name="session"/> to <paramref name="receiver"/>; returns its sequence number for the directory.</summary>
    public long Add(IActorRef session, ulong receiver)
    {
        if (!_bySession.TryGetValue(session, out var pending))
        {
            pending = new Queue<Entry>();
            _bySession[session] = pending;
        }

        var entry = new Entry(++_nextSequence, session, receiver, Environment.TickCount64 + (long)answerTimeout.TotalMilliseconds);
        pending.Enqueue(entry);
        _unsettled[entry.Sequence] = entry;
        return entry.Sequence;
    }

    /// <summary>Takes one receiving hub's answer; once all of a SEND's hubs answered, passes it on or settles it.</summary>
    public void Answer(SendRouted routed)
    {
        if (!_unsettled.TryGetValue(routed.Sequence, out var entry))
        {
            return; // The session has ended, or the SEND was given up on.
        }

        // A user with sessions on several nodes: every node's hub answers, and one delivery is enough.
        entry.AnswersDue ??= routed.Hubs;
        entry.AnswersDue--;
        entry.AnyDelivered |= routed.Delivered;
        if (entry.AnswersDue > 0)
        {
            return;
        }

        _unsettled.Remove(routed.Sequence);
        if (entry.AnsweredEarly)
        {
            // The sender was answered at the deadline; now it may count this SEND as done.
            entry.Session.Tell(SendSettled.Instance);
            if (entry.AnyDelivered && entry.Delivered == false)
            {
                log.Warning("User {0} got a message whose sender had been told not online when its directory did not answer within {1}", routed.Receiver, answerTimeout);
            }

            return;
        }

        entry.Delivered = entry.AnyDelivered;
        if (_bySession.TryGetValue(entry.Session, out var pending))
        {
            PassOn(entry.Session, pending);
        }
    }

    /// <summary>Answers the SENDs whose deadline has passed and settles those given up on.</summary>
    public void CheckDeadlines()
    {
        var now = Environment.TickCount64;
        foreach (var (session, pending) in _bySession)
        {
            // A directory that does not answer in time lives on a node that has crashed and is being replaced:
            // the message is most likely lost, so the honest answer is "not online" (unless one of several
            // nodes has already said it delivered).
            while (pending.TryPeek(out var oldest) && oldest.Delivered is null && oldest.DeadlineMs <= now)
            {
                log.Warning("No answer from the directory of user {0} within {1}: answering {2}", oldest.Receiver, answerTimeout, oldest.AnyDelivered ? "success send" : "not online");
                oldest.Delivered = oldest.AnyDelivered;
                oldest.AnsweredEarly = true;
                oldest.DeadlineMs = now + (long)(answerTimeout.TotalMilliseconds * GiveUpAfterDeadlines);
                PassOn(session, pending);
            }
        }

        foreach (var (sequence, entry) in _unsettled)
        {
            if (entry.AnsweredEarly && entry.DeadlineMs <= now)
            {
                // Lost with its node: no answer will ever come.
                _unsettled.Remove(sequence);
                entry.Session.Tell(SendSettled.Instance);
            }
        }
    }

    /// <summary>Forgets a stopped session's SENDs.</summary>
    public void Forget(IActorRef session)
    {
        if (_bySession.Remove(session, out var pending))
        {
            foreach (var entry in pending)
            {
                _unsettled.Remove(entry.Sequence);
            }
        }
    }

    private void PassOn(IActorRef session, Queue<Entry> pending)
    {
        while (pending.TryPeek(out var oldest) && oldest.Delivered is { } delivered)
        {
            pending.Dequeue();
            session.Tell(new SendAck(oldest.Receiver, delivered) { Settled = !oldest.AnsweredEarly });
        }

        if (pending.Count == 0)
        {
            _bySession.Remove(session);
        }
    }

    private sealed class Entry(long sequence, IActorRef session, ulong receiver, long deadlineMs)
    {
        public long Sequence { get; } = sequence;

        public IActorRef Session { get; } = session;

        public ulong Receiver { get; } = receiver;

        /// <summary>
        /// When the answer is overdue, on the <see cref="Environment.TickCount64"/> clock; once answered early,
        /// when the SEND is given up on.
        /// </summary>
        public long DeadlineMs { get; set; } = deadlineMs;

        /// <summary>What the session is told: set once every answer is in, or at the deadline.</summary>
        public bool? Delivered { get; set; }

        /// <summary>Answers still to come from the hubs the SEND was handed to; unknown until the first.</summary>
        public int? AnswersDue { get; set; }

        /// <summary>Whether any answer so far said delivered.</summary>
        public bool AnyDelivered { get; set; }

        /// <summary>The session was told at the deadline, before every answer was in.</summary>
        public bool AnsweredEarly { get; set; }
    }
}
