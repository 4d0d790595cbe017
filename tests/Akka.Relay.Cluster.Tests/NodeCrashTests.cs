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
        await using var node1 = ServerProcess.Create(seed: null);
        node1.Start();
        await using var probe1 = await ConnectWhenUpAsync(node1, Ids.Next(), TimeSpan.FromSeconds(60));
        await using var node2 = ServerProcess.Create(node1.ClusterAddress);
        await using var node3 = ServerProcess.Create(node1.ClusterAddress);
        node2.Start();
        node3.Start();

        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await ConnectWhenUpAsync(node1, a, TimeSpan.FromSeconds(60));
        await using var bob = await ConnectWhenUpAsync(node2, b, TimeSpan.FromSeconds(60));
        var victims = new List<(ulong Id, TestClient Client)>();
        for (var i = 0; i < 6; i++)
        {
            var id = Ids.Next();
            victims.Add((id, await ConnectWhenUpAsync(node3, id, TimeSpan.FromSeconds(60))));
        }

        // The cluster has formed once every node's users are reachable from node 1.
        await UntilAckAsync(alice, b, Wire.SuccessSend(b), TimeSpan.FromSeconds(60), node1);
        foreach (var (id, _) in victims)
        {
            await UntilAckAsync(alice, id, Wire.SuccessSend(id), TimeSpan.FromSeconds(30), node3);
        }

        await DrainAsync(bob);
        await Probe.RoundTripAsync(alice, a, bob, b, "before the crash");

        // One prober per victim, connected before the kill (a new session whose own directory
        // entity lived on the dead node is not admitted until that entity has moved).
        var probes = new List<TestClient>();
        for (var i = 0; i < victims.Count; i++)
        {
            probes.Add(await ConnectWhenUpAsync(node1, Ids.Next(), TimeSpan.FromSeconds(10)));
        }

        await node3.KillAsync();
        var sinceKill = Stopwatch.StartNew();

        // Every user of the dead node reads "not online" within the window. Where the user's
        // directory entity lived on a surviving node, it reacts to unreachability (about 4 s).
        // Where it lived on the dead node, the directory cannot answer until the Split Brain
        // Resolver has downed the node and the entity restarted elsewhere; the sender's hub
        // answers "not online" when Relay:Cluster:SendAnswerTimeout (5 s) has passed.
        var outcomes = await Task.WhenAll(victims.Select((v, i) => UntilOfflineAsync(probes[i], v.Id, sinceKill, OfflineWindow, node1)));
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
        await UntilAckAsync(alice, b, Wire.SuccessSend(b), TimeSpan.FromSeconds(30), node1);
        await UntilAckAsync(bob, a, Wire.SuccessSend(a), TimeSpan.FromSeconds(30), node1);
        _output.WriteLine($"survivors alice and bob relay {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        await DrainAsync(alice);
        await DrainAsync(bob);
        await Probe.RoundTripAsync(alice, a, bob, b, "after the crash");
        await Probe.RoundTripAsync(bob, b, alice, a, "after the crash, back");

        // Restarted on the same address, the node rejoins and its users are reachable again.
        foreach (var (_, client) in victims)
        {
            await client.DisposeAsync();
        }

        node3.Start();
        var c = Ids.Next();
        await using var carol = await ConnectWhenUpAsync(node3, c, TimeSpan.FromSeconds(60));
        await UntilAckAsync(alice, c, Wire.SuccessSend(c), TimeSpan.FromSeconds(60), node3);
        await DrainAsync(carol);
        await Probe.RoundTripAsync(alice, a, carol, c, "welcome back");
        await Probe.RoundTripAsync(carol, c, bob, b, "from the rejoined node");
        _output.WriteLine($"node 3 rejoined and relayed {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
    }

    /// <summary>Connects once the node accepts WebSocket sessions (it may still be starting).</summary>
    private static async Task<TestClient> ConnectWhenUpAsync(ServerProcess node, ulong userId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            try
            {
                return await TestClient.ConnectAsync(node.WebSocketUri(userId), autoRead: true);
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or OperationCanceledException && watch.Elapsed < timeout)
            {
                Assert.True(node.IsRunning, $"the server exited:\n{node.Log}");
                await timer.WaitForNextTickAsync();
            }
        }
    }

    /// <summary>SENDs to <paramref name="userId"/> until the ack is <paramref name="expected"/>; other acks are allowed meanwhile.</summary>
    private static async Task UntilAckAsync(TestClient from, ulong userId, string expected, TimeSpan timeout, ServerProcess logOf)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        string? last = null;
        while (true)
        {
            var remaining = timeout - watch.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"no '{expected}' within {timeout}; last ack: {last ?? "none"}\n{logOf.Log}");
            await from.SendToAsync(userId, "are you there?");
            try
            {
                last = await from.ReceiveTextAsync(remaining);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"no ack within {timeout}; last ack: {last ?? "none"}\n{logOf.Log}");
            }

            if (last == expected)
            {
                return;
            }

            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>
    /// SENDs to <paramref name="userId"/> until the ack is "not online"; returns when that was (on
    /// <paramref name="clock"/>) and the longest time any single ack took.
    /// </summary>
    private static async Task<(TimeSpan Offline, TimeSpan LongestAckWait)> UntilOfflineAsync(
        TestClient prober, ulong userId, Stopwatch clock, TimeSpan timeout, ServerProcess logOf)
    {
        using var timer = new PeriodicTimer(Probe.PollInterval);
        var longest = TimeSpan.Zero;
        while (true)
        {
            var remaining = timeout - clock.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"user {userId} still online {timeout} after the kill\n{logOf.Log}");
            var sent = clock.Elapsed;
            await prober.SendToAsync(userId, "are you there?");
            string ack;
            try
            {
                ack = await prober.ReceiveTextAsync(remaining);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"no ack for user {userId} within {timeout} of the kill\n{logOf.Log}");
                throw;
            }

            var wait = clock.Elapsed - sent;
            longest = wait > longest ? wait : longest;
            if (ack == Wire.NotOnline(userId))
            {
                return (clock.Elapsed, longest);
            }

            Assert.Equal(Wire.SuccessSend(userId), ack);
            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>Reads and drops whatever probes already delivered to <paramref name="client"/>.</summary>
    private static async Task DrainAsync(TestClient client) =>
        await ClusterNodes.ReceiveUntilQuietAsync(client, TimeSpan.FromMilliseconds(300));
}
