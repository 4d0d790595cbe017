namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// Work for the journal's one writer: done (<see cref="Completion"/>) only after the transaction holding it committed,
/// failed when that transaction failed.
/// </summary>
internal abstract record JournalRequest
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes after the commit, or fails with the batch.</summary>
    public Task Completion => _done.Task;

    /// <summary>The rows this request adds to a batch (a batch is closed once it holds the configured number).</summary>
    public abstract int RowCount { get; }

    /// <summary>Tells the requester its work is committed.</summary>
    public void Succeed() => _done.TrySetResult();

    /// <summary>Tells the requester its work is not stored.</summary>
    public void Fail(Exception cause) => _done.TrySetException(cause);
}
