using System.Net;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Testing.Server;
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
    public async Task A_SEND_written_once_the_receivers_close_handshake_completed_is_answered_not_online_never_success()
    {
        // The receiving node unregisters a closing session before it answers the close frame, and every delivery is
        // decided there: a SEND that leaves after the client saw its close completed cannot be acked as delivered.
        var a = Ids.Next();
        await using var alice = await Node(0).ConnectAsync(a);
        for (var round = 0; round < 10; round++)
        {
            var b = Ids.Next();
            var bob = await Node(1 + (round % 2)).ConnectAsync(b);
            await Probe.RoundTripAsync(alice, a, bob, b);

            await bob.CloseAsync();
            await Probe.AssertOfflineAsync(alice, b);
            await bob.DisposeAsync();
        }
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
                Assert.Empty(await Probe.ReceiveUntilQuietAsync(client, TimeSpan.FromMilliseconds(300)));
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
    public async Task Senders_flooding_other_nodes_without_waiting_are_slowed_down_never_dropped_or_reordered()
    {
        // Each sender writes far more than its limit of unanswered SENDs (64) without waiting for answers; the
        // server stops reading from it while that many are in flight, instead of queueing them without bound.
        const int count = 2_000;
        var senders = new[] { (Node: 0, Receiver: 1), (Node: 0, Receiver: 2), (Node: 1, Receiver: 2), (Node: 2, Receiver: 0) };
        var ids = senders.Select(_ => (From: Ids.Next(), To: Ids.Next())).ToArray();
        var clients = new List<TestClient>();
        try
        {
            var flows = new List<Task>();
            for (var s = 0; s < senders.Length; s++)
            {
                var from = await Node(senders[s].Node).ConnectAsync(ids[s].From);
                var to = await Node(senders[s].Receiver).ConnectAsync(ids[s].To);
                clients.Add(from);
                clients.Add(to);
                flows.Add(FloodAsync(from, ids[s].From, to, ids[s].To));
            }

            await Task.WhenAll(flows);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        static async Task FloodAsync(TestClient from, ulong fromId, TestClient to, ulong toId)
        {
            var sending = Task.Run(async () =>
            {
                for (var i = 0; i < count; i++)
                {
                    await from.SendToAsync(toId, $"#{i}");
                }
            });

            var acks = Task.Run(async () =>
            {
                for (var i = 0; i < count; i++)
                {
                    Assert.Equal(Wire.SuccessSend(toId), await from.ReceiveTextAsync());
                }
            });

            for (var i = 0; i < count; i++)
            {
                var received = await to.ReceiveJsonAsync();
                Assert.Equal($"#{i}", received.GetProperty("content").GetString());
                Assert.Equal(fromId, received.GetProperty("sender").GetUInt64());
            }

            await sending;
            await acks;
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
        Assert.Equal(TimeSpan.FromMilliseconds(500), config.GetTimeSpan("akka.cluster.sharding.retry-interval"));
        Assert.Equal(TimeSpan.FromSeconds(2), config.GetTimeSpan("akka.cluster.sharding.coordinator-failure-backoff"));
        Assert.Contains("SplitBrainResolverProvider", config.GetString("akka.cluster.downing-provider-class"), StringComparison.Ordinal);
    }

    [Fact]
    public void Relay_messages_cross_nodes_with_the_relay_serializer()
    {
        var serialization = ClusterNodes.SystemOf(Node(0)).Serialization;
        var payload = "{\"type\":1}"u8.ToArray();

        var send = RoundTrip(new Akka.Relay.Cluster.Directory.RouteSend(ulong.MaxValue, payload, 7, Previous: long.MaxValue));
        Assert.Equal((ulong.MaxValue, 7L, long.MaxValue), (send.Receiver, send.Sequence, send.Previous));
        Assert.Equal(payload, send.Payload);

        var deliver = RoundTrip(new Akka.Relay.Cluster.Directory.DeliverRouted(42, payload, long.MaxValue, Hubs: 3));
        Assert.Equal((42UL, long.MaxValue, 3), (deliver.Receiver, deliver.Sequence, deliver.Hubs));
        Assert.Equal(payload, deliver.Payload);

        foreach (var delivered in new[] { true, false })
        {
            Assert.Equal(
                new Akka.Relay.Cluster.Directory.SendRouted(42, 9, delivered, Hubs: 2),
                RoundTrip(new Akka.Relay.Cluster.Directory.SendRouted(42, 9, delivered, Hubs: 2)));
        }

        var batch = RoundTrip(new Akka.Relay.Cluster.Directory.DeliveryBatch(
        [
            new Akka.Relay.Cluster.Directory.DeliverRouted(1, payload, 10, Hubs: 1),
            new Akka.Relay.Cluster.Directory.DeliverRouted(ulong.MaxValue, [], 11, Hubs: 2),
            new Akka.Relay.Cluster.Directory.DeliverRouted(3, "{}"u8.ToArray(), long.MaxValue, Hubs: int.MaxValue),
        ]));
        Assert.Equal([(1UL, 10L, 1, 10), (ulong.MaxValue, 11L, 2, 0), (3UL, long.MaxValue, int.MaxValue, 2)], batch.Deliveries.Select(d => (d.Receiver, d.Sequence, d.Hubs, d.Payload.Length)));
        Assert.Equal(payload, batch.Deliveries[0].Payload);
        Assert.Equal("{}"u8.ToArray(), batch.Deliveries[2].Payload);

        var answers = RoundTrip(new Akka.Relay.Cluster.Directory.AnswerBatch(
        [
            new Akka.Relay.Cluster.Directory.SendRouted(1, 10, Delivered: true, Hubs: 1),
            new Akka.Relay.Cluster.Directory.SendRouted(ulong.MaxValue, long.MaxValue, Delivered: false, Hubs: 3),
        ]));
        Assert.Equal([new(1, 10, true, 1), new(ulong.MaxValue, long.MaxValue, false, 3)], answers.Answers);

        T RoundTrip<T>(T message)
            where T : notnull
        {
            var serializer = serialization.FindSerializerFor(message);
            Assert.Equal(Akka.Relay.Cluster.Serialization.RelayMessageSerializer.Id, serializer.Identifier);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
            return Assert.IsType<T>(serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
        }
    }
}
