namespace Akka.Relay.Cluster.Directory;

/// <summary>Settings of the per-user directory entities.</summary>
/// <param name="MaxSessionsPerUser">Sessions one user may hold across the whole cluster.</param>
/// <param name="RebuildTimeout">How long a (re)started entity waits for the hubs' reports before serving with what it has.</param>
/// <param name="IdleTimeout">How long an entity with no sessions lives on before it passivates.</param>
public sealed record UserDirectorySettings(int MaxSessionsPerUser, TimeSpan RebuildTimeout, TimeSpan IdleTimeout)
{
    /// <summary>The inbox's settings; null when the cluster keeps no inbox (every session is version 1).</summary>
    public DirectoryInboxSettings? Inbox { get; init; }
}
