namespace Akka.Relay.Server.Options;

/// <summary>Scale-out settings, bound from <c>Relay:Cluster</c> (env: <c>Relay__Cluster__Enabled=true</c>, <c>Relay__Cluster__SeedNodes__0=akka.tcp://relay@10.0.0.1:4053</c>).</summary>
public sealed class RelayClusterOptions
{
    /// <summary>The actor system's name: part of every cluster address (akka.tcp://relay@host:port).</summary>
    public const string ActorSystemName = "relay";

    /// <summary>The configuration section name.</summary>
    public const string Section = "Relay:Cluster";

    /// <summary>Join an Akka.Cluster; when false (the default) the node serves alone and opens no cluster port.</summary>
    public bool Enabled { get; set; }

    /// <summary>The address the cluster transport binds to.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The address other nodes use to reach this one, when it differs from <see cref="Hostname"/> (containers, NAT).</summary>
    public string? PublicHostname { get; set; }

    /// <summary>The cluster transport's TCP port; 0 picks a free one.</summary>
    public int Port { get; set; } = 4053;

    /// <summary>
    /// The cluster's nodes (<c>akka.tcp://relay@host:port</c>), the same list on every node, this node's own address included.
    /// Only the first entry may start a new cluster, and only after none of the others answered; a clustered node needs
    /// this list unless <see cref="FormNewCluster"/> is set.
    /// </summary>
    public string[] SeedNodes { get; set; } = [];

    /// <summary>Start a new cluster with this node as its first member, without seed nodes (a one-node cluster, or the first node of a test cluster whose port is picked at start).</summary>
    public bool FormNewCluster { get; set; }

    /// <summary>
    /// Members the cluster must have before any is moved to Up (<c>akka.cluster.min-nr-of-members</c>), and reachable Up
    /// members a node must see to report ready; a majority of the planned nodes (2 of 3) keeps a node that is alone out of service.
    /// </summary>
    public int MinMembers { get; set; } = 1;

    /// <summary>Shards of the per-user directory (about ten per node of the largest planned cluster).</summary>
    public int ShardCount { get; set; } = 100;

    /// <summary>How long a (re)started per-user entity waits for the hubs' reports of that user's sessions.</summary>
    public TimeSpan DirectoryRebuildTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a per-user entity with no sessions stays in memory before it passivates.</summary>
    public TimeSpan DirectoryIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a SEND waits for the receiver's directory to answer before it is sent again (a moving shard drops what was buffered for it; copies are never delivered twice).</summary>
    public TimeSpan SendRetryInterval { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a SEND is retried before its sender is answered <c>error: the cluster could not route the message</c> (no majority, or shards not placed).</summary>
    public TimeSpan SendGiveUpTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
