namespace Akka.Relay.Actors.Client;

/// <summary>The outcome of asking the hub to admit a new session.</summary>
public abstract record Admission
{
    /// <summary>Registered: go ahead with the WebSocket upgrade.</summary>
    public sealed record Accepted : Admission;

    /// <summary>Not registered, with the hub's reason.</summary>
    public sealed record Refused(Hub.RefusalReason Reason, string Detail) : Admission;
}

/// <summary>
/// How the hosting layer learns what a ClientActor decided, without awaiting inside the actor:
/// the admission before the upgrade, and the end of both socket pumps after it.
/// </summary>
public sealed class SessionSignals
{
    // Dropped once the endpoint has seen it (AdmissionSeen): an idle session keeps no finished task of its start.
    private TaskCompletionSource<Admission>? _admission = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the hub accepted or refused the session.</summary>
    public Task<Admission> Admission => _admission?.Task ?? throw new InvalidOperationException("The admission was seen already.");

    /// <summary>Completes once the socket will never be touched again (both pumps ended, or never started).</summary>
    public Task Completion => _completion.Task;

    internal void Admit(Admission admission) => _admission?.TrySetResult(admission);

    /// <summary>The admission has been read: nothing will ask for it again.</summary>
    public void AdmissionSeen() => _admission = null;

    internal void Complete() => _completion.TrySetResult();
}
