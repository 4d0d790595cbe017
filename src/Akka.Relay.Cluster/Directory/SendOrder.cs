using Akka.Actor;

namespace Akka.Relay.Cluster.Directory;

/// <summary>
/// A user entity's order of the SENDs from one sending hub: each is handed on only after the SEND it names as its
/// <see cref="RouteSend.Previous"/>, so a SEND that a moving shard dropped and the sender retried is not overtaken
/// by the ones behind it, and a retry's copy is recognised.
/// </summary>
/// <remarks>
/// A fresh entity (after a hand-off or a crash) knows nothing of the hub: a SEND that names a predecessor waits
/// until that one comes (its retry) or the hub, having got its answer, sends it again naming none. Waiting SENDs
/// are bounded: past the bound one is dropped and comes back with the sender's next retry.
/// </remarks>
internal sealed class SendOrder
{
    private const int MaxWaiting = 1024;
    private const int RecentOutcomes = 16;

    private readonly List<(RouteSend Send, IActorRef From)> _waiting = new();
    private readonly Queue<(long Sequence, bool ToHubs)> _recent = new();

    // Of the recent SENDs, those answered "inbox unavailable": a retry of one (sent before that answer reached its hub)
    // must get the same answer, not be stored now that the store is back.
    private readonly Queue<long> _unavailable = new();

    /// <summary>What to do with a SEND.</summary>
    public enum Verdict
    {
        /// <summary>Its predecessor is done: hand it on.</summary>
        Next,

        /// <summary>A copy of one already handed on.</summary>
        Copy,

        /// <summary>Its predecessor has not come yet.</summary>
        Wait,
    }

    /// <summary>The last SEND of this hub handed on (0 = none since this entity started).</summary>
    public long Last { get; private set; }

    /// <summary>True while SENDs wait for their predecessor.</summary>
    public bool AnyWaiting => _waiting.Count > 0;

    /// <summary>Where <paramref name="send"/> stands.</summary>
    public Verdict Classify(RouteSend send) =>
        send.Sequence <= Last ? Verdict.Copy
        : send.Previous == 0 || send.Previous <= Last ? Verdict.Next
        : Verdict.Wait;

    /// <summary>Records that <paramref name="sequence"/> was handed on, to receiving hubs or answered "not online" here.</summary>
    public void HandedOn(long sequence, bool toHubs)
    {
        Last = sequence;
        _recent.Enqueue((sequence, toHubs));
        if (_recent.Count > RecentOutcomes)
        {
            _recent.Dequeue();
        }
    }

    /// <summary>False when copy <paramref name="sequence"/> was first answered "not online" here (so it must be again, not delivered to a session that came since).</summary>
    public bool WentToHubs(long sequence)
    {
        foreach (var (known, toHubs) in _recent)
        {
            if (known == sequence)
            {
                return toHubs;
            }
        }

        // Older than what is kept: receiving hubs drop copies, so handing it on again is safe.
        return true;
    }

    /// <summary>Records that <paramref name="sequence"/> was answered "inbox unavailable".</summary>
    public void AnsweredUnavailable(long sequence)
    {
        _unavailable.Enqueue(sequence);
        if (_unavailable.Count > RecentOutcomes)
        {
            _unavailable.Dequeue();
        }
    }

    /// <summary>True when copy <paramref name="sequence"/> was first answered "inbox unavailable" (so it must be again, and not stored).</summary>
    public bool WasUnavailable(long sequence) => _unavailable.Contains(sequence);

    /// <summary>Keeps <paramref name="send"/> until its predecessor is done; a newer copy replaces an older one. False when full.</summary>
    public bool Wait(RouteSend send, IActorRef from)
    {
        for (var i = 0; i < _waiting.Count; i++)
        {
            if (_waiting[i].Send.Sequence == send.Sequence)
            {
                _waiting[i] = (send, from);
                return true;
            }
        }

        if (_waiting.Count >= MaxWaiting)
        {
            return false;
        }

        _waiting.Add((send, from));
        return true;
    }

    /// <summary>The waiting SEND that may go next, if any (copies of SENDs handed on meanwhile are dropped).</summary>
    public bool TryTakeNext(out RouteSend send, out IActorRef from)
    {
        var best = -1;
        for (var i = _waiting.Count - 1; i >= 0; i--)
        {
            var waiting = _waiting[i].Send;
            if (waiting.Sequence <= Last)
            {
                _waiting.RemoveAt(i);
                best = best > i ? best - 1 : best;
                continue;
            }

            if (Classify(waiting) == Verdict.Next && (best < 0 || waiting.Sequence < _waiting[best].Send.Sequence))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            (send, from) = (null!, null!);
            return false;
        }

        (send, from) = _waiting[best];
        _waiting.RemoveAt(best);
        return true;
    }
}
