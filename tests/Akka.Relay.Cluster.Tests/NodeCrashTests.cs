using System.Diagnostics;
using System.Net.WebSockets;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>Three real server processes: one is killed with SIGKILL, the others keep serving, and it rejoins.</summary>
public sealed class NodeCrashTests
{
    private static readonly TimeSpan OfflineWindow = TimeSpan.FromSeconds(10);
    private readonly ITestOutputHelper _output;

    public NodeCrashTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task A_killed_node_goes_offline_within_ten_seconds_while_the_others_serve_and_it_rejoins_when_restarted()
    {
        await using var node1 = ServerProcess.CreateClusterNode(seed: null);
        node1.Start();
        await using var probe1 = await ProcessProbes.ConnectWhenUpAsync(node1, Ids.Next(), TimeSpan.FromSeconds(60));
        await using var node2 = ServerProcess.CreateClusterNode(node1.ClusterAddress);
        await using var node3 = ServerProcess.CreateClusterNode(node1.ClusterAddress);
        node2.Start();
        node3.Start();

        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await ProcessProbes.ConnectWhenUpAsync(node1, a, TimeSpan.FromSeconds(60));
        await using var bob = await ProcessProbes.ConnectWhenUpAsync(node2, b, TimeSpan.FromSeconds(60));
        var victims = new List<(ulong Id, TestClient Client)>();
        for (var i = 0; i < 6; i++)
        {
            var id = Ids.Next();
            victims.Add((id, await ProcessProbes.ConnectWhenUpAsync(node3, id, TimeSpan.FromSeconds(60))));
        }

        // The cluster has formed once every node's users are reachable from node 1.
        await ProcessProbes.UntilAckAsync(alice, b, Wire.SuccessSend(b), TimeSpan.FromSeconds(60), node1);
        foreach (var (id, _) in victims)
        {
            await ProcessProbes.UntilAckAsync(alice, id, Wire.SuccessSend(id), TimeSpan.FromSeconds(30), node3);
        }

        await ProcessProbes.DrainAsync(bob);
        await Probe.RoundTripAsync(alice, a, bob, b, "before the crash");

        // One prober per victim, connected before the kill (a new session whose own directory
        // entity lived on the dead node is not admitted until that entity has moved).
        var probes = new List<TestClient>();
        for (var i = 0; i < victims.Count; i++)
        {
            probes.Add(await ProcessProbes.ConnectWhenUpAsync(node1, Ids.Next(), TimeSpan.FromSeconds(10)));
        }

        await node3.KillAsync();
        var sinceKill = Stopwatch.StartNew();

        // Every user of the dead node reads "not online" within the window. Where the user's
        // directory entity lived on a surviving node, it reacts to unreachability (about 4 s).
        // Where it lived on the dead node, the directory cannot answer until the Split Brain
        // Resolver has downed the node and the entity restarted elsewhere; the sender's hub
        // answers "not online" when Relay:Cluster:SendAnswerTimeout (5 s) has passed.
        var outcomes = await Task.WhenAll(victims.Select((v, i) => ProcessProbes.UntilOfflineAsync(probes[i], v.Id, sinceKill, OfflineWindow, node1)));
        foreach (var probe in probes)
        {
            await probe.DisposeAsync();
        }

        var reacted = outcomes.Where(o => o.LongestAckWait < TimeSpan.FromSeconds(2)).Select(o => o.Offline).ToList();
        var recovered = outcomes.Where(o => o.LongestAckWait >= TimeSpan.FromSeconds(2)).Select(o => o.Offline).ToList();
        _output.WriteLine($"entity on a survivor: {reacted.Count} users offline after [{string.Join(", ", reacted.Select(t => $"{t.TotalSeconds:F1} s"))}]");
        _output.WriteLine($"entity on the killed node: {recovered.Count} users offline after [{string.Join(", ", recovered.Select(t => $"{t.TotalSeconds:F1} s"))}]");
        Assert.All(outcomes, o => Assert.True(o.Offline < OfflineWindow, $"a user read 'not online' only {o.Offline} after the kill"));

        // The survivors still relay both ways. If bob's or alice's directory entity lived on
        // the dead node, that pair waits until the entity has moved (the Split Brain Resolver
        // downs the node after ~9 s); every other pair on the survivors never stopped.
        await ProcessProbes.UntilAckAsync(alice, b, Wire.SuccessSend(b), TimeSpan.FromSeconds(30), node1);
        await ProcessProbes.UntilAckAsync(bob, a, Wire.SuccessSend(a), TimeSpan.FromSeconds(30), node1);
        _output.WriteLine($"survivors alice and bob relay {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        await ProcessProbes.DrainAsync(alice);
        await ProcessProbes.DrainAsync(bob);
        await Probe.RoundTripAsync(alice, a, bob, b, "after the crash");
        await Probe.RoundTripAsync(bob, b, alice, a, "after the crash, back");

        // Restarted on the same address, the node rejoins and its users are reachable again.
        foreach (var (_, client) in victims)
        {
            await client.DisposeAsync();
        }

        node3.Start();
        var c = Ids.Next();
        await using var carol = await ProcessProbes.ConnectWhenUpAsync(node3, c, TimeSpan.FromSeconds(60));
        await ProcessProbes.UntilAckAsync(alice, c, Wire.SuccessSend(c), TimeSpan.FromSeconds(60), node3);
        await ProcessProbes.DrainAsync(carol);
        await Probe.RoundTripAsync(alice, a, carol, c, "welcome back");
        await Probe.RoundTripAsync(carol, c, bob, b, "from the rejoined node");
        _output.WriteLine($"node 3 rejoined and relayed {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
    }
}
