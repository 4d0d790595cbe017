using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// Three real server processes set up as the README's cluster (every node lists all three as seed nodes, MinMembers 2):
/// the first seed is killed with SIGKILL and restarted with the same settings, and it rejoins the running cluster
/// instead of forming a cluster of its own. One kill is also one event in the survivors' logs, said in a few lines.
/// </summary>
[Trait("Category", "Slow")]
[Collection(ProcessClusterCollection.Name)]
public sealed class FirstSeedRestartTests
{
    /// <summary>Warning entries a survivor may write for one node's crash and rejoin.</summary>
    private const int WarningBound = 20;

    /// <summary>Users connected to the node that is killed.</summary>
    private const int Victims = 4;

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(90);
    private readonly ITestOutputHelper _output;

    public FirstSeedRestartTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public Task The_first_seed_killed_and_restarted_at_once_rejoins_the_running_cluster() => KillAndRestartFirstSeedAsync(waitForRemoval: false);

    [Fact]
    public Task The_first_seed_restarted_after_the_others_removed_it_rejoins_the_running_cluster() => KillAndRestartFirstSeedAsync(waitForRemoval: true);

    private async Task KillAndRestartFirstSeedAsync(bool waitForRemoval)
    {
        await using var cluster = await ProcessCluster.StartAsync(
            3,
            ("Relay__Cluster__MinMembers", "2"),
            ("Relay__MaxSessionsPerUser", "1"),
            // The probes wait for the killed seed's shards as long as the window, so the hubs must not give up first.
            ("Relay__Cluster__SendGiveUpTimeout", Window.ToString("c")));
        var nodes = cluster.Nodes;
        var (node1, node2, node3) = (cluster.Node(0), cluster.Node(1), cluster.Node(2));
        foreach (var node in nodes)
        {
            await UntilReadyAsync(node, members: 3, Window);
        }

        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await ProcessProbes.ConnectWhenUpAsync(node2, a, TimeSpan.FromSeconds(30));
        await using var bob = await ProcessProbes.ConnectWhenUpAsync(node3, b, TimeSpan.FromSeconds(30));
        await ProcessProbes.UntilAckAsync(alice, b, Wire.SuccessSend(b), TimeSpan.FromSeconds(30), node2);
        var victims = new List<(ulong Id, TestClient Client)>();
        for (var i = 0; i < Victims; i++)
        {
            var id = Ids.Next();
            victims.Add((id, await ProcessProbes.ConnectWhenUpAsync(node1, id, TimeSpan.FromSeconds(30))));
            await ProcessProbes.UntilAckAsync(alice, id, Wire.SuccessSend(id), TimeSpan.FromSeconds(30), node2);
        }

        var probers = new List<TestClient>();
        for (var i = 0; i < Victims; i++)
        {
            probers.Add(await ProcessProbes.ConnectWhenUpAsync(node2, Ids.Next(), TimeSpan.FromSeconds(30)));
        }

        var survivorLogBefore = node2.Log.Length;
        await node1.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        if (!waitForRemoval)
        {
            // Restarted at once, as a restart policy does: same command, same settings, same address. The process
            // takes a second or two to open its cluster port, while the survivors still count its old incarnation.
            node1.Start();
        }

        // The killed node's users read "not online" on the survivors (SENDs keep the directory busy meanwhile).
        await Task.WhenAll(victims.Select((v, i) => ProcessProbes.UntilOfflineAsync(probers[i], v.Id, sinceKill, Window, node2)));
        _output.WriteLine($"node 1's users read 'not online' on node 2 {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        foreach (var client in probers.Concat(victims.Select(v => v.Client)))
        {
            await client.DisposeAsync();
        }

        if (waitForRemoval)
        {
            // The Split Brain Resolver downs the killed node and the leader removes it: two members left.
            await UntilReadyAsync(node2, members: 2, Window);
            _output.WriteLine($"node 1 removed by the survivors {sinceKill.Elapsed.TotalSeconds:F1} s after the kill; restarted now");
            node1.Start();
        }

        var view = await UntilReadyAsync(node1, members: 3, Window);
        _output.WriteLine($"node 1 ready in a cluster of 3 {sinceKill.Elapsed.TotalSeconds:F1} s after the kill: {view}");

        // One cluster: every node sees the same three members, and the restarted node's users reach the others'.
        foreach (var node in nodes)
        {
            await UntilReadyAsync(node, members: 3, Window);
        }

        var c = Ids.Next();
        await using var carol = await ProcessProbes.ConnectWhenUpAsync(node1, c, TimeSpan.FromSeconds(30));
        await ProcessProbes.UntilAckAsync(carol, a, Wire.SuccessSend(a), TimeSpan.FromSeconds(30), node1);
        await ProcessProbes.DrainAsync(alice);
        await ProcessProbes.DrainAsync(bob);
        await ProcessProbes.DrainAsync(carol);
        await Probe.RoundTripAsync(carol, c, alice, a, "from the restarted first seed");
        await Probe.RoundTripAsync(bob, b, carol, c, "to the restarted first seed");
        _output.WriteLine($"carol on node 1 relayed both ways {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");

        // The session cap (1 per user here) counts across the one cluster: alice is on node 2, so node 1 refuses her.
        var refused = await RelayServer.ExpectRefusedAsync(node1.WebSocketUri(a));
        Assert.Equal((HttpStatusCode)429, refused);

        // The crash and the rejoin are reported, in a few entries at warning level or above, not hundreds.
        var survivorLog = node2.Log[survivorLogBefore..];
        var entries = survivorLog.Split('\n').Count(line => line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal));
        _output.WriteLine($"node 2 wrote {entries} entries at warning level or above across the kill and the rejoin:\n{survivorLog}");
        Assert.True(entries < WarningBound, $"node 2 wrote {entries} entries at warning level or above for one crash:\n{survivorLog}");
        Assert.Contains($"Cluster member {node1.ClusterAddress}", survivorLog, StringComparison.Ordinal);
    }

    /// <summary>Polls the node's <c>/readyz</c> until it answers 200 with <paramref name="members"/> Up members and none unreachable; returns the cluster check's data.</summary>
    private static async Task<JsonElement> UntilReadyAsync(ServerProcess node, int members, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var last = "no answer";
        while (true)
        {
            Assert.True(node.IsRunning, $"the server exited:\n{node.Log}");
            try
            {
                var (status, body) = await node.GetJsonAsync("readyz");
                var data = body.GetProperty("checks").GetProperty("cluster").TryGetProperty("data", out var d) ? d : default;
                last = $"{(int)status} {body}";
                if (status == HttpStatusCode.OK
                    && data.GetProperty("membersUp").GetInt32() == members
                    && data.GetProperty("members").GetInt32() == members
                    && data.GetProperty("unreachable").GetInt32() == 0)
                {
                    return data.Clone();
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            Assert.True(watch.Elapsed < timeout, $"no ready cluster of {members} within {timeout}; last /readyz: {last}\n{node.Log}");
            await timer.WaitForNextTickAsync();
        }
    }
}
