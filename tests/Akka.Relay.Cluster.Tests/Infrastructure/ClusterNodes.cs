using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Relay.Testing.Server;
using Akka.Relay.Testing.Stores;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Cluster.Tests.Infrastructure;

/// <summary>
/// Three relay nodes (three actor systems, three Kestrel servers on loopback) forming one cluster, with the inbox on a
/// throwaway PostgreSQL server, as a cluster is deployed: version 1 tests run with the inbox enabled and nobody opted in.
/// </summary>
public sealed class ClusterNodes : IAsyncLifetime
{
    /// <summary>The per-user session cap the nodes run with (small, so the cluster-wide cap is testable).</summary>
    public const int MaxSessionsPerUser = 2;

    private readonly List<RelayServer> _nodes = new();
    private readonly PostgresServer _store = new();

    /// <summary>The inbox store every node uses.</summary>
    public PostgresServer Store => _store;

    /// <summary>The running nodes; the first one formed the cluster.</summary>
    public IReadOnlyList<RelayServer> Nodes => _nodes;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await _store.InitializeAsync();
        var first = await StartNodeAsync(seed: null);
        var seed = AkkaCluster.Get(SystemOf(first)).SelfAddress.ToString();
        _nodes.Add(first);
        var others = await Task.WhenAll(StartNodeAsync(seed), StartNodeAsync(seed));
        _nodes.AddRange(others);

        await WaitUntilAsync(() => _nodes.All(n => UpMembers(n) == 3), TimeSpan.FromSeconds(60), "three members Up on every node");
        await WaitForBroadcastPathsAsync();
        await Task.WhenAll(_nodes.Select(n => n.AwaitInboxesListedAsync(TimeSpan.FromSeconds(60))));
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        // Stop in reverse, so the node that formed the cluster leaves last.
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].DisposeAsync();
        }

        await _store.DisposeAsync();
    }

    /// <summary>The actor system of a node.</summary>
    public static ActorSystem SystemOf(RelayServer node) =>
        (ActorSystem)node.App.Services.GetService(typeof(ActorSystem))!;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, $"timed out after {timeout} waiting for {what}");
            await timer.WaitForNextTickAsync();
        }
    }

    private static int UpMembers(RelayServer node) =>
        AkkaCluster.Get(SystemOf(node)).State.Members.Count(m => m.Status == MemberStatus.Up);

    private Task<RelayServer> StartNodeAsync(string? seed)
    {
        var settings = new List<(string, string)>
        {
            ("Relay:MaxSessionsPerUser", MaxSessionsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Inbox:Store", "postgresql"),
            ("Relay:Inbox:ConnectionString", _store.ConnectionString),
            ("Relay:Cluster:Port", "0"),
            ("Relay:Api:Key", ApiClient.Key),
        };
        // The first node's cluster port is picked at start, so it cannot be listed as a seed: it forms the cluster.
        settings.Add(seed is null ? ("Relay:Cluster:FormNewCluster", "true") : ("Relay:Cluster:SeedNodes:0", seed));

        return RelayServer.StartAsync(settings.ToArray());
    }

    // Distributed pub-sub learns of other nodes' subscribers by gossip: wait until a broadcast
    // from each node reaches a client on every node, so tests start from a settled cluster.
    private async Task WaitForBroadcastPathsAsync()
    {
        var listeners = new List<TestClient>();
        try
        {
            foreach (var node in _nodes)
            {
                listeners.Add(await node.ConnectAsync(Ids.Next()));
            }

            var watch = Stopwatch.StartNew();
            for (var round = 0; ; round++)
            {
                var marker = $"warm-up {round}";
                foreach (var listener in listeners)
                {
                    await listener.BroadcastAsync(marker);
                }

                var complete = true;
                foreach (var listener in listeners)
                {
                    var seen = (await Probe.ReceiveUntilQuietAsync(listener, TimeSpan.FromMilliseconds(500)))
                        .Count(text => text.Contains(marker, StringComparison.Ordinal));
                    complete &= seen == listeners.Count;
                }

                if (complete)
                {
                    return;
                }

                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "broadcasts did not reach every node within 30 s");
            }
        }
        finally
        {
            foreach (var listener in listeners)
            {
                await listener.DisposeAsync();
            }
        }
    }
}
