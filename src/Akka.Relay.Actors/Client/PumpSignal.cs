using System.Threading.Tasks.Sources;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// Wakes a session's write pump when its queue has something new. One reusable awaitable per session (no task, no
/// channel): an idle session's pump waits on it for nothing more than this object.
/// </summary>
internal sealed class PumpSignal : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    // Completed from a work item of its own (see Set), so the pump's continuation runs inline there.
    private ManualResetValueTaskSourceCore<bool> _core;

    /// <summary>A wait for the next <see cref="Set"/>; the caller makes sure only one is pending at a time.</summary>
    public ValueTask<bool> WaitAsync()
    {
        _core.Reset();
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>
    /// Ends the pending wait (at most once per wait). The pump goes on on the thread pool's global queue, as a channel's
    /// reader does, never inline on the actor that woke it (nor queued behind the rest of that actor's messages).
    /// </summary>
    public void Set() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

    /// <inheritdoc />
    public bool GetResult(short token) => _core.GetResult(token);

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
