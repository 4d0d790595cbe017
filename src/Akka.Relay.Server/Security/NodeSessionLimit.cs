using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Security;

/// <summary>
/// Counts this node's sessions, from the moment a handshake passes the checks until its request
/// ends, and refuses more than <see cref="RelayOptions.MaxSessions"/> (0: no limit).
/// </summary>
public sealed class NodeSessionLimit
{
    private readonly int _max;
    private int _count;

    /// <summary>Creates the limit from the relay's options.</summary>
    public NodeSessionLimit(IOptions<RelayOptions> options)
    {
        _max = options.Value.MaxSessions;
    }

    /// <summary>Sessions (and handshakes past the checks) on this node right now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a slot, or returns null when the node is full. Dispose the slot when the session's request ends.</summary>
    public IDisposable? TryEnter()
    {
        var count = Interlocked.Increment(ref _count);
        if (_max > 0 && count > _max)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }

        return new Slot(this);
    }

    private sealed class Slot(NodeSessionLimit limit) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref limit._count);
            }
        }
    }
}
