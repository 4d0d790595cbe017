using System.Diagnostics;
using System.Net.WebSockets;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>Three real server processes: one is killed with SIGKILL, the others keep serving, and it rejoins.</summary>
[Trait("Category", "Slow")]
[Collection(ProcessClusterCollection.Name)]
public sealed class NodeCrashTests
{
    // Generous: users whose directory entity lived on the killed node read "not online" only once its shards have
    // moved (failure detection, the Split Brain Resolver's stable-after, then the hand-over; ~15-20 s here).
    private static readonly TimeSpan OfflineWindow = TimeSpan.FromSeconds(60);
    private const int Pairs = 16;
    private readonly ITestOutputHelper _output;

    public NodeCrashTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task A_killed_nodes_users_go_offline_while_pairs_on_the_others_never_read_not_online_nor_lose_a_message_and_it_rejoins()
    {
        // A hub answers a SEND it could not route within Relay:Cluster:SendGiveUpTimeout (30 s) with an error; on a
        // busy machine the shards can take that long to move, and this test waits for them as long as its window.
        await using var cluster = await ProcessCluster.StartAsync(3, ("Relay__Cluster__SendGiveUpTimeout", OfflineWindow.ToString("c")));
        var (node1, node2, node3) = (cluster.Node(0), cluster.Node(1), cluster.Node(2));

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

        // Pairs on the two surviving nodes send without pause through the crash.
        await using var traffic = await PairTraffic.StartAsync(node1, node2, Pairs, TimeSpan.FromSeconds(60));
        await traffic.UntilEachAnsweredAsync(10, TimeSpan.FromSeconds(60));

        await node3.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        var killAt = traffic.Now;

        // Every user of the dead node reads "not online" within the window. Where the user's
        // directory entity lived on a surviving node, it reacts to unreachability (about 4 s).
        // Where it lived on the dead node, nothing can answer until the Split Brain Resolver has
        // downed the node and the entity restarted elsewhere: the sender's hub retries meanwhile
        // and never guesses, so the answer is the rebuilt entity's "not online".
        var outcomes = await Task.WhenAll(victims.Select((v, i) => ProcessProbes.UntilOfflineAsync(probes[i], v.Id, sinceKill, OfflineWindow, node1)));
        foreach (var probe in probes)
        {
            await probe.DisposeAsync();
        }

        // An entity on a survivor answers once the failure detector marks the node unreachable (~4-5 s); one on
        // the killed node only after the Split Brain Resolver downed it and its shards moved (well after 10 s).
        var reacted = outcomes.Where(o => o.Offline < TimeSpan.FromSeconds(10)).Select(o => o.Offline).ToList();
        var recovered = outcomes.Where(o => o.Offline >= TimeSpan.FromSeconds(10)).Select(o => o.Offline).ToList();
        _output.WriteLine($"entity on a survivor: {reacted.Count} users offline after [{string.Join(", ", reacted.Select(t => $"{t.TotalSeconds:F1} s"))}]");
        _output.WriteLine($"entity on the killed node: {recovered.Count} users offline after [{string.Join(", ", recovered.Select(t => $"{t.TotalSeconds:F1} s"))}]");
        Assert.All(outcomes, o => Assert.True(o.Offline < OfflineWindow, $"a user read 'not online' only {o.Offline} after the kill"));
        _output.WriteLine($"longest wait for one probe's answer: {outcomes.Max(o => o.LongestAckWait).TotalSeconds:F1} s");

        // Every pair on the survivors relays again, and none of them ever read "not online" or lost a message.
        await traffic.UntilEachAnsweredAsync(20, TimeSpan.FromSeconds(120));
        var answers = await traffic.StopAsync(TimeSpan.FromSeconds(60));
        var wrong = answers.Where(a => a.Text != Wire.SuccessSend(a.ReceiverId)).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} SENDs between users on live nodes were not answered 'success send', e.g. {wrong.FirstOrDefault()}\n{node1.Log}\n{node2.Log}");
        var stalled = answers.Where(a => a.SentAt + a.Took > killAt && a.Took >= TimeSpan.FromSeconds(1)).ToList();
        var stall = stalled.Count == 0 ? TimeSpan.Zero : stalled.Max(a => a.SentAt + a.Took - killAt);
        _output.WriteLine($"pairs on the survivors: {answers.Count} answers, none 'not online'; {stalled.Select(a => a.ReceiverId).Distinct().Count()} of {Pairs} receivers stalled (entity on the killed node), relaying again {stall.TotalSeconds:F1} s after the kill; slowest answer {answers.Max(a => a.Took).TotalSeconds:F1} s");

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
