namespace Akka.Relay.Cluster.Hub;

/// <summary>What a cluster node's hub needs beyond the contract's limits.</summary>
/// <param name="RetryInterval">
/// How long a SEND waits for the receiver's directory to answer before it is sent again (a moving shard drops what
/// was buffered for it). Copies are never delivered twice.
/// </param>
/// <param name="GiveUpTimeout">
/// How long a SEND is retried before the sender is answered with an error (the cluster could not route it at all).
/// Longer than a crashed node's shards take to move.
/// </param>
public sealed record ClusterHubSettings(TimeSpan RetryInterval, TimeSpan GiveUpTimeout)
{
    /// <summary>
    /// How long a receiving hub remembers which SENDs of another hub it delivered, to drop the copies retries make.
    /// Exceeds <see cref="GiveUpTimeout"/>.
    /// </summary>
    public TimeSpan DeliveredMemory => GiveUpTimeout * 2;

    /// <summary>
    /// The Akka.Persistence.Query read journal that lists the users holding an inbox when the node starts; null when the
    /// cluster keeps no inbox (every session is version 1).
    /// </summary>
    public string? InboxReadJournalId { get; init; }
}
