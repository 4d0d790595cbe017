namespace Akka.Relay.Actors.Hub;

/// <summary>Limits the hub enforces.</summary>
/// <param name="MaxSessionsPerUser">Sessions one user id may hold at once.</param>
public sealed record HubSettings(int MaxSessionsPerUser)
{
    /// <summary>
    /// In a cluster, how long a SEND waits for the receiver's directory to answer before it is sent again (a
    /// moving shard drops what was buffered for it). Copies are never delivered twice.
    /// </summary>
    public TimeSpan DirectoryRetryInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// In a cluster, how long a SEND is retried before the sender is answered with an error (the cluster
    /// could not route it at all). Longer than a crashed node's shards take to move.
    /// </summary>
    public TimeSpan DirectoryGiveUpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// In a cluster, how long a receiving hub remembers which SENDs of another hub it delivered, to drop the copies
    /// retries make. Must exceed <see cref="DirectoryGiveUpTimeout"/>.
    /// </summary>
    public TimeSpan DeliveredMemory => DirectoryGiveUpTimeout * 2;

    /// <summary>
    /// How long a drain spreads its 1001 closes over, so the clients of a stopping node do not all reconnect
    /// in the same second. Zero closes every session at once.
    /// </summary>
    public TimeSpan DrainSpread { get; init; } = TimeSpan.Zero;
}
