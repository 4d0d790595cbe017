using Akka.Relay.Cluster.Tests.Infrastructure;

namespace Akka.Relay.Cluster.Tests;

/// <summary>Tests that share one running three-node cluster (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterFixtureCollection : ICollectionFixture<ClusterNodes>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "three-node cluster";
}
