using System.Net;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// Protocol 1.1 across three nodes on PostgreSQL: one inbox per user, whichever node its sessions and senders are on;
/// resume on any node; every reader sees the same sequence.
/// </summary>
[Collection(ClusterFixtureCollection.Name)]
public sealed class ClusterInboxTests
{
    private readonly ClusterNodes _cluster;

    public ClusterInboxTests(ClusterNodes cluster)
    {
        _cluster = cluster;
    }

    private RelayServer Node(int index) => _cluster.Nodes[index];

    [Fact]
    public async Task A_message_to_an_offline_user_is_stored_through_one_node_and_replayed_on_another_then_live_ones_follow()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await Node(0).ConnectAsync(a);

        // First opt-in, on node 2: a new, empty inbox.
        var first = await Node(1).ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, first: 1, last: 0, gap: false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await AwaitNoReaderAsync(b);

        var sent = Enumerable.Range(1, 3).Select(i => Wire.Send(b, "away " + i)).ToArray();
        foreach (var message in sent)
        {
            await sender.SendTextAsync(message);
            Assert.Equal(InboxServer.Stored(b), await sender.ReceiveTextAsync());
        }

        // Resumed on node 3.
        await using var resumed = await Node(2).ResumeAsync(b, 0, epoch);
        Assert.Equal(epoch, await resumed.ReceiveHeaderAsync(b, first: 1, last: 3, gap: false));
        for (var i = 0; i < sent.Length; i++)
        {
            InboxServer.AssertStored(sent[i], await resumed.ReceiveTextAsync(), a, (ulong)i + 1);
        }

        var live = Wire.Send(b, "live");
        await sender.SendTextAsync(live);
        Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
        InboxServer.AssertStored(live, await resumed.ReceiveTextAsync(), a, 4);
    }

    [Fact]
    public async Task Readers_on_two_nodes_see_one_sequence_of_messages_from_senders_on_two_nodes()
    {
        var (a, c, b) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var fromOne = await Node(0).ConnectAsync(a);
        await using var fromThree = await Node(2).ConnectAsync(c);
        await using var readerOnTwo = await Node(1).ResumeAsync(b, 0);
        var epoch = await readerOnTwo.ReceiveHeaderAsync(b, 1, 0, false);
        await using var readerOnThree = await Node(2).ResumeAsync(b, 0, epoch);
        await readerOnThree.ReceiveHeaderAsync(b, 1, 0, false);

        // Two senders on different nodes: each reader sees the same order of the same seqs.
        var messages = new List<(ulong Sender, string Text)>();
        for (var i = 0; i < 5; i++)
        {
            foreach (var (client, id) in new[] { (fromOne, a), (fromThree, c) })
            {
                var text = Wire.Send(b, $"{id}:{i}");
                messages.Add((id, text));
                await client.SendTextAsync(text);
            }
        }

        foreach (var (client, _) in new[] { (fromOne, a), (fromThree, c) })
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(Wire.SuccessSend(b), await client.ReceiveTextAsync());
            }
        }

        var onTwo = new List<string>();
        var onThree = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            onTwo.Add(await readerOnTwo.ReceiveTextAsync());
            onThree.Add(await readerOnThree.ReceiveTextAsync());
        }

        Assert.Equal(onTwo, onThree);
        for (var seq = 1; seq <= onTwo.Count; seq++)
        {
            Assert.StartsWith($"{{\"seq\":{seq},", onTwo[seq - 1]);
        }

    }

    [Fact]
    public async Task A_version_1_session_beside_a_reader_on_another_node_gets_the_bytes_without_seq()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await Node(2).ConnectAsync(a);
        await using var reader = await Node(1).ResumeAsync(b, 0);
        await reader.ReceiveHeaderAsync(b, 1, 0, false);
        await using var plain = await Node(0).ConnectAsync(b);

        await InboxServer.AssertSendReachesReaderAndPlainSessionAsync(sender, a, reader, plain, b);
    }

    [Fact]
    public async Task A_retried_SEND_with_the_same_mid_from_another_node_is_answered_like_the_first_and_not_stored_again()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var reader = await Node(2).ResumeAsync(b, 0);
        var epoch = await reader.ReceiveHeaderAsync(b, 1, 0, false);
        var message = $$"""{"type":1,"receiver":{{b}},"content":"exactly once","mid":"m-1"}""";

        await using (var onOne = await Node(0).ConnectAsync(a))
        {
            await onOne.SendTextAsync(message);
            Assert.Equal(Wire.SuccessSend(b), await onOne.ReceiveTextAsync());
        }

        // The sender lost its connection before it could be sure, and resends through another node.
        await using var onTwo = await Node(1).ConnectAsync(a);
        await onTwo.SendTextAsync(message);
        Assert.Equal(Wire.SuccessSend(b), await onTwo.ReceiveTextAsync());

        Assert.StartsWith("{\"seq\":1,", await reader.ReceiveTextAsync());
        var status = await Node(1).InboxOfAsync(b);
        Assert.Equal((epoch, 1UL, 1), (status.Epoch, status.Last, status.Kept));
        Assert.Empty(await Probe.ReceiveUntilQuietAsync(reader, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task The_server_api_stores_for_an_inbox_user_and_any_node_reports_the_inbox()
    {
        var b = Ids.Next();
        var first = await Node(2).ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, 1, 0, false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await AwaitNoReaderAsync(b);
        using var api = new ApiClient(Node(0).BaseUri);

        var (status, answer) = await api.SendToAsync(b, "from the backend");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("stored", answer.GetProperty("result").GetString());
        foreach (var node in _cluster.Nodes)
        {
            using var nodeApi = new ApiClient(node.BaseUri);
            var (_, user) = await nodeApi.GetAsync($"api/users/{b}");
            var inbox = user.GetProperty("inbox");
            Assert.Equal(epoch, inbox.GetProperty("epoch").GetString());
            Assert.Equal(1UL, inbox.GetProperty("lastSeq").GetUInt64());
            Assert.Equal(1, inbox.GetProperty("messages").GetInt32());
        }

        var (_, nobody) = await api.GetAsync($"api/users/{Ids.Next()}");
        Assert.False(nobody.TryGetProperty("inbox", out _));
    }

    [Fact]
    public async Task A_user_who_never_opted_in_keeps_the_version_1_answers_and_bytes()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await Node(0).ConnectAsync(a);
        await Probe.AssertOfflineAsync(sender, b);

        await using var receiver = await Node(1).ConnectAsync(b);
        await Probe.RoundTripAsync(sender, a, receiver, b, "plain");
        Assert.Null((await Node(2).InboxOfAsync(b)).Epoch);
    }

    [Fact]
    public async Task While_the_database_is_down_SENDs_are_answered_inbox_unavailable_nothing_unstored_is_delivered_and_it_recovers_by_itself()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await Node(0).ConnectAsync(a);
        var reader = await Node(1).ResumeAsync(b, 0);
        var epoch = await reader.ReceiveHeaderAsync(b, 1, 0, false);
        var stored = new List<string>();
        var before = Wire.Send(b, "before");
        await sender.SendTextAsync(before);
        Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
        stored.Add(before);
        InboxServer.AssertStored(before, await reader.ReceiveTextAsync(), a, 1);

        await _cluster.Store.StopAsync();
        try
        {
            var during = Wire.Send(b, "while the database is down");
            await sender.SendTextAsync(during);
            Assert.Equal("inbox unavailable", Wire.AssertErrorReply(await sender.ReceiveTextAsync(), a));

            // The reader's inbox stopped: its session is closed so that the client resumes once the store is back.
            var end = await reader.ReceiveEndAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.InternalServerError, end.CloseStatus);
        }
        finally
        {
            await _cluster.Store.StartAsync();
            await reader.DisposeAsync();
        }

        // The inbox comes back by itself (its supervisor restarts it with backoff): SENDs are stored again.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var pace = new PeriodicTimer(Probe.PollInterval);
        for (var attempt = 0; ; attempt++)
        {
            var message = Wire.Send(b, "after " + attempt);
            await sender.SendTextAsync(message);
            var answer = await sender.ReceiveTextAsync(TimeSpan.FromSeconds(30));
            if (answer == InboxServer.Stored(b))
            {
                stored.Add(message);
                break;
            }

            Assert.Equal("inbox unavailable", Wire.AssertErrorReply(answer, a));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), "the inbox did not come back within 90 s of the database");
            await pace.WaitForNextTickAsync();
        }

        // Only what was answered as stored is there, in order, under the same epoch: the refused SEND never was.
        await using var resumed = await Node(2).ResumeAsync(b, 0, epoch);
        await resumed.ReceiveHeaderAsync(b, 1, (ulong)stored.Count, false);
        for (var i = 0; i < stored.Count; i++)
        {
            InboxServer.AssertStored(stored[i], await resumed.ReceiveTextAsync(), a, (ulong)i + 1);
        }
    }

    private async Task AwaitNoReaderAsync(ulong userId)
    {
        // Any node asks the user's entity, which holds the inbox.
        await Node(0).AwaitNoReaderAsync(userId);
    }
}
