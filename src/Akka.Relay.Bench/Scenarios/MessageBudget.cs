namespace Akka.Relay.Bench.Scenarios;

/// <summary>The bound on messages sent in one run (<c>--max-messages</c>), shared by every sender.</summary>
public sealed class MessageBudget(long limit)
{
    private long _remaining = limit;

    /// <summary>Takes one message from the budget; false once it is used up.</summary>
    public bool TryTake() => Interlocked.Decrement(ref _remaining) >= 0;

    /// <summary>True once the budget is used up.</summary>
    public bool IsExhausted => Volatile.Read(ref _remaining) <= 0;
}
