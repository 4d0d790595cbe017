namespace Akka.Relay.Actors.Hub;

/// <summary>Limits the hub enforces.</summary>
/// <param name="MaxSessionsPerUser">Sessions one user id may hold at once.</param>
public sealed record HubSettings(int MaxSessionsPerUser);
