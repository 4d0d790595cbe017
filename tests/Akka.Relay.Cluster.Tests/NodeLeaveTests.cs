using System.Diagnostics;
using System.Net.WebSockets;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// Three real server processes: one is stopped with SIGTERM. It closes its sessions with 1001,
/// leaves the cluster, hands its directory shards over and exits 0; the others never stop serving.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class NodeLeaveTests
{
    private const int Stayers = 12;
    private readonly ITestOutputHelper _output;

    public NodeLeaveTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task A_node_stopped_gracefully_closes_with_1001_hands_its_shards_over_and_exits_0()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var (node1, node2, node3) = (cluster.Node(0), cluster.Node(1), cluster.Node(2));

        var a = Ids.Next();
        await using var alice = await ProcessProbes.ConnectWhenUpAsync(node1, a, TimeSpan.FromSeconds(60));
        var leavers = new List<(ulong Id, TestClient Client)>();
        for (var i = 0; i < 4; i++)
        {
            var id = Ids.Next();
            leavers.Add((id, await ProcessProbes.ConnectWhenUpAsync(node3, id, TimeSpan.FromSeconds(60))));
        }

        // Users on node 2: with 100 shards over three nodes, about a third of their directory
        // entities live on node 3 and must move when it leaves, with their state rebuilt.
        var stayers = new List<(ulong Id, TestClient Client)>();
        for (var i = 0; i < Stayers; i++)
        {
            var id = Ids.Next();
            stayers.Add((id, await ProcessProbes.ConnectWhenUpAsync(node2, id, TimeSpan.FromSeconds(60))));
        }

        await ProcessProbes.UntilAckAsync(alice, leavers[0].Id, Wire.SuccessSend(leavers[0].Id), TimeSpan.FromSeconds(60), node3);
        foreach (var (id, _) in leavers.Concat(stayers))
        {
            await ProcessProbes.UntilAckAsync(alice, id, Wire.SuccessSend(id), TimeSpan.FromSeconds(30), node3);
        }

        var sinceTerm = Stopwatch.StartNew();
        var exit = node3.TerminateAsync(TimeSpan.FromSeconds(60));

        // Every session on the leaving node is closed with 1001 (going away) by the server.
        foreach (var (_, client) in leavers)
        {
            var end = await client.ReceiveEndAsync(TimeSpan.FromSeconds(30));
            Assert.True(end.CloseStatus == WebSocketCloseStatus.EndpointUnavailable, $"a leaver's session ended with {end} instead of 1001\n{node3.Log}");
        }

        var closed = sinceTerm.Elapsed;
        // Closed sessions stop counting as online at once, as after any clean close.
        foreach (var (id, _) in leavers)
        {
            var (elapsed, _) = await Probe.UntilOfflineAsync(alice, id, TimeSpan.FromSeconds(1));
            _output.WriteLine($"leaver {id} not online {elapsed.TotalMilliseconds:F0} ms after its 1001 was read");
        }

        var code = await exit;
        Assert.True(code == 0, $"the node exited with {code}\n{node3.Log}");
        var exited = sinceTerm.Elapsed;
        await cluster.WaitForMembersUpAsync(2, TimeSpan.FromSeconds(30));
        var removed = sinceTerm.Elapsed;

        // The stayers' entities that lived on node 3 came back on a survivor with the right
        // state: every stayer still reads "success send", without waiting for a failure detector.
        var longest = TimeSpan.Zero;
        foreach (var (id, _) in stayers)
        {
            var sent = Stopwatch.StartNew();
            await alice.SendToAsync(id, "still there?");
            Assert.Equal(Wire.SuccessSend(id), await alice.ReceiveTextAsync());
            longest = sent.Elapsed > longest ? sent.Elapsed : longest;
        }

        foreach (var (id, client) in stayers)
        {
            await ProcessProbes.DrainAsync(client);
            await Probe.RoundTripAsync(alice, a, client, id, "after the leave");
        }

        _output.WriteLine($"SIGTERM -> sessions closed {closed.TotalSeconds:F1} s, exit 0 {exited.TotalSeconds:F1} s, survivors see 2 members {removed.TotalSeconds:F1} s; slowest stayer ack afterwards {longest.TotalMilliseconds:F0} ms");
    }
}
