namespace Akka.Relay.Actors.Hub;

/// <summary>Limits the hub enforces.</summary>
/// <param name="MaxSessionsPerUser">Sessions one user id may hold at once.</param>
public sealed record HubSettings(int MaxSessionsPerUser)
{
    /// <summary>
    /// How long a drain spreads its 1001 closes over, so the clients of a stopping node do not all reconnect
    /// in the same second. Zero closes every session at once.
    /// </summary>
    public TimeSpan DrainSpread { get; init; } = TimeSpan.Zero;
}
