namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// The deadlines of appends that all wait the same time for the store, oldest first: one periodic check answers the
/// late ones, instead of a timer per message on the hot path.
/// </summary>
public sealed class AppendDeadlines(TimeSpan timeout)
{
    private readonly Queue<(long RequestId, long DueMs)> _queue = new();

    /// <summary>How often to check while appends wait: a late answer is at most a quarter of the timeout late.</summary>
    public TimeSpan CheckInterval { get; } = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks));

    /// <summary>Starts the wait of <paramref name="requestId"/>.</summary>
    public void Add(long requestId) => _queue.Enqueue((requestId, Environment.TickCount64 + (long)timeout.TotalMilliseconds));

    /// <summary>
    /// Adds to <paramref name="due"/> every request past its deadline that <paramref name="isPending"/> still holds;
    /// forgets those answered meanwhile as they come up.
    /// </summary>
    public void TakeDue(Func<long, bool> isPending, List<long> due)
    {
        var now = Environment.TickCount64;
        while (_queue.TryPeek(out var head) && (head.DueMs <= now || !isPending(head.RequestId)))
        {
            _queue.Dequeue();
            if (head.DueMs <= now && isPending(head.RequestId))
            {
                due.Add(head.RequestId);
            }
        }
    }
}
