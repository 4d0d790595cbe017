using System.Collections.Concurrent;

namespace Akka.Relay.Client.Tests.Infrastructure;

/// <summary>Records a client's state changes and lets a test wait for one that matches, with a timeout.</summary>
public sealed class StateLog
{
    private readonly ConcurrentQueue<RelayStateChange> _changes = new();
    private readonly List<(Func<RelayStateChange, bool> Match, TaskCompletionSource<RelayStateChange> Done)> _waiters = [];

    public IReadOnlyList<RelayStateChange> Changes => [.. _changes];

    public void Attach(RelayClient client) => client.StateChanged += Record;

    public void Record(RelayStateChange change)
    {
        _changes.Enqueue(change);
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => w.Match(change)).ToList())
            {
                waiter.Done.TrySetResult(change);
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>The first change (from now on, or already recorded after <paramref name="skip"/> changes) that matches.</summary>
    public Task<RelayStateChange> WaitForAsync(Func<RelayStateChange, bool> match, int skip = 0, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<RelayStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            var seen = _changes.Skip(skip).FirstOrDefault(match);
            if (seen is not null)
            {
                return Task.FromResult(seen);
            }

            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }
}
