namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// Tests that each start a cluster of server processes and drive traffic through it while nodes crash, leave or
/// join: they run one after another, beside the rest of the suite. Run at once on a 2-core machine (a dozen server
/// processes, pairs sending without pause) a failover could outlast the tests' bounds; the tests measure the
/// relay's failover, not the machine's load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessClusterCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "clusters of server processes";
}
