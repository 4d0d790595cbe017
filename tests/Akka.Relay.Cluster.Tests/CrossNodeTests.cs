using System.Net;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>The single-node semantics, held across three nodes: SEND, acks, broadcast, sessions, cap, FIFO.</summary>
[Collection(ClusterFixtureCollection.Name)]
public sealed class CrossNodeTests
{
    private readonly ClusterNodes _cluster;
    private readonly ITestOutputHelper _output;

    public CrossNodeTests(ClusterNodes cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
    }

    private RelayServer Node(int index) => _cluster.Nodes[index];

    [Fact]
    public async Task Send_reaches_a_user_on_another_node_and_is_acked()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await Node(0).ConnectAsync(a);
        await using var bob = await Node(2).ConnectAsync(b);

        await Probe.RoundTripAsync(alice, a, bob, b, "from node 1 to node 3");
        await Probe.RoundTripAsync(bob, b, alice, a, "and back");
    }

    [Fact]
    public async Task Send_to_a_user_connected_nowhere_is_not_online()
    {
        var a = Ids.Next();
        await using var alice = await Node(1).ConnectAsync(a);

        await Probe.AssertOfflineAsync(alice, Ids.Next());
    }

    [Fact]
    public async Task Send_reaches_every_session_of_a_user_spread_over_nodes()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await Node(0).ConnectAsync(a);
        await using var bobOnTwo = await Node(1).ConnectAsync(b);
        await using var bobOnThree = await Node(2).ConnectAsync(b);

        var message = Wire.Send(b, "to both of you");
        await alice.SendTextAsync(message);

        Wire.AssertStamped(message, await bobOnTwo.ReceiveTextAsync(), a);
        Wire.AssertStamped(message, await bobOnThree.ReceiveTextAsync(), a);
        Assert.Equal(Wire.SuccessSend(b), await alice.ReceiveTextAsync());
    }

    [Fact]
    public async Task Closing_one_session_keeps_the_users_session_on_another_node()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await Node(0).ConnectAsync(a);
        var bobOnTwo = await Node(1).ConnectAsync(b);
        await using var bobOnThree = await Node(2).ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bobOnThree, b);
        Assert.False((await bobOnTwo.ReceiveAsync()).IsEnd);

        await bobOnTwo.CloseAsync();
        await bobOnTwo.DisposeAsync();

        // Until the release reaches the directory the closed session may still be counted, but
        // bob stays online through the other node, and only that session receives.
        for (var i = 0; i < 5; i++)
        {
            await Probe.RoundTripAsync(alice, a, bobOnThree, b, $"still here {i}");
        }
    }

    [Fact]
    public async Task A_session_closed_on_one_node_reads_not_online_from_another_within_a_second()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await Node(0).ConnectAsync(a);
        var bob = await Node(2).ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b);

        await bob.CloseAsync();
        var (elapsed, _) = await Probe.UntilOfflineAsync(alice, b, TimeSpan.FromSeconds(1));
        _output.WriteLine($"not online {elapsed.TotalMilliseconds:F0} ms after the close handshake completed");
        await bob.DisposeAsync();
    }

    [Fact]
    public async Task Broadcast_reaches_every_session_on_every_node_exactly_once()
    {
        var ids = Enumerable.Range(0, 6).Select(_ => Ids.Next()).ToArray();
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < ids.Length; i++)
            {
                clients.Add(await Node(i % 3).ConnectAsync(ids[i]));
            }

            // Two broadcasts from one sender travel the same path, so a duplicate of the
            // first would arrive before the second: each client must read exactly first, second.
            var first = """{"type":3,"content":"first to all"}""";
            var second = """{"type":3,"content":"second to all"}""";
            await clients[0].SendTextAsync(first);
            await clients[0].SendTextAsync(second);

            foreach (var client in clients)
            {
                Wire.AssertStamped(first, await client.ReceiveTextAsync(), ids[0]);
                Wire.AssertStamped(second, await client.ReceiveTextAsync(), ids[0]);
            }

            foreach (var client in clients)
            {
                Assert.Empty(await ClusterNodes.ReceiveUntilQuietAsync(client, TimeSpan.FromMilliseconds(300)));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_session_cap_holds_across_the_cluster()
    {
        var u = Ids.Next();
        await using var first = await Node(0).ConnectAsync(u);
        await using var second = await Node(1).ConnectAsync(u);

        var status = await RelayServer.ExpectRefusedAsync(Node(2).WebSocketUri(u.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal((HttpStatusCode)429, status);

        // The slot frees when a session closes, wherever it was (once the release reaches the directory).
        await first.CloseAsync();
        await using var third = await ConnectWhenAdmittedAsync(Node(2), u, TimeSpan.FromSeconds(5));
        var prober = Ids.Next();
        await using var probe = await Node(1).ConnectAsync(prober);
        await Probe.RoundTripAsync(probe, prober, third, u);
    }

    private static async Task<TestClient> ConnectWhenAdmittedAsync(RelayServer node, ulong userId, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        while (true)
        {
            try
            {
                return await node.ConnectAsync(userId);
            }
            catch (System.Net.WebSockets.WebSocketException) when (watch.Elapsed < timeout)
            {
                await timer.WaitForNextTickAsync();
            }
        }
    }

    [Fact]
    public async Task Messages_and_acks_between_nodes_keep_their_order()
    {
        const int count = 500;
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await Node(0).ConnectAsync(a);
        await using var bob = await Node(2).ConnectAsync(b);

        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await alice.SendToAsync(b, $"#{i}");
            }
        });

        for (var i = 0; i < count; i++)
        {
            var received = await bob.ReceiveJsonAsync();
            Assert.Equal($"#{i}", received.GetProperty("content").GetString());
            Assert.Equal(a, received.GetProperty("sender").GetUInt64());
        }

        await sending;
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Wire.SuccessSend(b), await alice.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task Acks_follow_the_senders_order_even_when_receivers_live_on_different_nodes()
    {
        const int rounds = 200;
        var (a, b, c) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var alice = await Node(0).ConnectAsync(a);
        await using var bob = await Node(1).ConnectAsync(b);
        await using var carol = await Node(2).ConnectAsync(c);
        var absent = Ids.Next();

        var expected = new List<string>();
        for (var i = 0; i < rounds; i++)
        {
            var receiver = (i % 3) switch { 0 => b, 1 => c, _ => absent };
            await alice.SendToAsync(receiver, $"#{i}");
            expected.Add(receiver == absent ? Wire.NotOnline(receiver) : Wire.SuccessSend(receiver));
        }

        foreach (var ack in expected)
        {
            Assert.Equal(ack, await alice.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task Every_node_is_ready_and_reports_itself_up_among_three_members()
    {
        for (var i = 0; i < 3; i++)
        {
            using var http = Node(i).CreateHttpClient();
            using var response = await http.GetAsync("readyz");
            using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            var cluster = body.RootElement.GetProperty("checks").GetProperty("cluster");
            Assert.Equal("member up", cluster.GetProperty("description").GetString());
            Assert.Equal(3, cluster.GetProperty("data").GetProperty("membersUp").GetInt32());
            Assert.Equal("Up", cluster.GetProperty("data").GetProperty("selfStatus").GetString());
        }
    }

    [Fact]
    public void Split_brain_resolver_and_failure_detector_run_with_the_documented_settings()
    {
        var config = ClusterNodes.SystemOf(Node(0)).Settings.Config;
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.True(config.GetBoolean("akka.cluster.split-brain-resolver.down-all-when-unstable"));
        Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Contains("SplitBrainResolverProvider", config.GetString("akka.cluster.downing-provider-class"), StringComparison.Ordinal);
    }

    [Fact]
    public void Relay_messages_cross_nodes_with_the_relay_serializer()
    {
        var system = ClusterNodes.SystemOf(Node(0));
        var serialization = system.Serialization;
        var session = system.DeadLetters;
        var routed = new Akka.Relay.Actors.Directory.RouteSend(42, "{\"type\":1}"u8.ToArray(), session, 7);
        var serializer = serialization.FindSerializerFor(routed);
        Assert.Equal(Akka.Relay.Cluster.Serialization.RelayMessageSerializer.Id, serializer.Identifier);

        var bytes = serializer.ToBinary(routed);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, routed);
        var back = Assert.IsType<Akka.Relay.Actors.Directory.RouteSend>(serialization.Deserialize(bytes, serializer.Identifier, manifest));
        Assert.Equal((routed.Receiver, routed.Sequence, routed.Session), (back.Receiver, back.Sequence, back.Session));
        Assert.Equal(routed.Payload, back.Payload);
    }
}
