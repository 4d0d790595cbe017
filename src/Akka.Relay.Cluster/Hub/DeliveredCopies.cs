using Akka.Actor;

namespace Akka.Relay.Cluster.Hub;

/// <summary>
/// A receiving hub's memory of the SENDs it delivered for each (sending hub, receiver): a retried SEND can reach
/// it twice (through the old and the new home of a moved shard), and the second copy must not be delivered again.
/// </summary>
/// <remarks>
/// A sending hub numbers its SENDs in increasing order and the receiver's directory hands them over in that order,
/// so a copy is any SEND numbered at or below the last one delivered. A copy is answered as the first one was
/// (kept for the last few; an older copy, which only a long stall makes, is answered by whether the receiver has
/// a session here now). A pair is forgotten once idle for longer than any SEND is retried.
/// </remarks>
internal sealed class DeliveredCopies(TimeSpan memory)
{
    private const int RecentAnswers = 8;

    // Per sending hub (looked up once per batch of deliveries), per receiver.
    private readonly Dictionary<IActorRef, Dictionary<ulong, Pair>> _byHub = new();

    /// <summary>True while something is remembered (the hub sweeps only then).</summary>
    public bool Any => _byHub.Count > 0;

    /// <summary>The records of what <paramref name="hub"/> sent through this hub, per receiver.</summary>
    public Dictionary<ulong, Pair> From(IActorRef hub)
    {
        if (!_byHub.TryGetValue(hub, out var pairs))
        {
            pairs = new Dictionary<ulong, Pair>();
            _byHub[hub] = pairs;
        }

        return pairs;
    }

    /// <summary>The record of what one hub (its <paramref name="pairs"/>) sent to <paramref name="receiver"/> through this hub.</summary>
    public static Pair Of(Dictionary<ulong, Pair> pairs, ulong receiver)
    {
        if (!pairs.TryGetValue(receiver, out var pair))
        {
            pair = new Pair();
            pairs[receiver] = pair;
        }

        pair.TouchedMs = Environment.TickCount64;
        return pair;
    }

    /// <summary>Forgets the pairs idle for longer than the memory.</summary>
    public void ForgetIdle()
    {
        var before = Environment.TickCount64 - (long)memory.TotalMilliseconds;
        foreach (var (hub, pairs) in _byHub)
        {
            foreach (var (receiver, pair) in pairs)
            {
                if (pair.TouchedMs < before)
                {
                    pairs.Remove(receiver);
                }
            }

            if (pairs.Count == 0)
            {
                _byHub.Remove(hub);
            }
        }
    }

    /// <summary>What one sending hub delivered to one receiver here.</summary>
    internal sealed class Pair
    {
        private readonly Queue<(long Sequence, bool Delivered)> _recent = new();
        private long _last;

        public long TouchedMs { get; set; }

        /// <summary>True when SEND <paramref name="sequence"/> was delivered here already; <paramref name="answer"/> is then what its first copy answered.</summary>
        public bool IsCopy(long sequence, bool deliverableNow, out bool answer)
        {
            answer = false;
            if (sequence > _last)
            {
                return false;
            }

            answer = deliverableNow;
            foreach (var (known, delivered) in _recent)
            {
                if (known == sequence)
                {
                    answer = delivered;
                }
            }

            return true;
        }

        /// <summary>Records that SEND <paramref name="sequence"/> was handled here with this answer.</summary>
        public void Record(long sequence, bool delivered)
        {
            _last = sequence;
            _recent.Enqueue((sequence, delivered));
            if (_recent.Count > RecentAnswers)
            {
                _recent.Dequeue();
            }
        }
    }
}
