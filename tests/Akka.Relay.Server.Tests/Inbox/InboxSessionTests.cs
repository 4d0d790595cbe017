using System.Net;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests.Inbox;

/// <summary>Protocol 1.1 on one node through real sockets: opting in, resuming, the answers to senders, retries by mid.</summary>
public sealed class InboxSessionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-inbox-sessions-").FullName;

    [Fact]
    public async Task An_offline_inbox_user_gets_stored_messages_on_resume_after_the_header_then_live_ones()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(a);

        // First opt-in: a new, empty inbox.
        var first = await server.ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, first: 1, last: 0, gap: false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await server.AwaitNoReaderAsync(b);

        var sent = Enumerable.Range(1, 3).Select(i => Wire.Send(b, "m" + i)).ToArray();
        foreach (var message in sent)
        {
            await sender.SendTextAsync(message);
            Assert.Equal(InboxServer.Stored(b), await sender.ReceiveTextAsync());
        }

        await using var resumed = await server.ResumeAsync(b, 0, epoch);
        Assert.Equal(epoch, await resumed.ReceiveHeaderAsync(b, first: 1, last: 3, gap: false));
        for (var i = 0; i < sent.Length; i++)
        {
            InboxServer.AssertStored(sent[i], await resumed.ReceiveTextAsync(), a, (ulong)i + 1);
        }

        var live = Wire.Send(b, "live");
        await sender.SendTextAsync(live);
        Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
        InboxServer.AssertStored(live, await resumed.ReceiveTextAsync(), a, 4);

        // A resume from seq 3 of the same epoch replays only what came after it.
        await using var again = await server.ResumeAsync(b, 3, epoch);
        await again.ReceiveHeaderAsync(b, first: 4, last: 4, gap: false);
        InboxServer.AssertStored(live, await again.ReceiveTextAsync(), a, 4);
    }

    [Fact]
    public async Task Only_opted_in_sessions_get_seq_a_version_1_session_of_the_same_user_gets_the_bytes_as_before()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(a);
        await using var reader = await server.ResumeAsync(b, 0);
        await reader.ReceiveHeaderAsync(b, 1, 0, false);
        await using var plain = await server.ConnectAsync(b);

        await InboxServer.AssertSendReachesReaderAndPlainSessionAsync(sender, a, reader, plain, b);
    }

    [Fact]
    public async Task Broadcasts_are_neither_stored_nor_numbered()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var reader = await server.ResumeAsync(b, 0);
        var epoch = await reader.ReceiveHeaderAsync(b, 1, 0, false);
        await using var sender = await server.ConnectAsync(a);

        await sender.BroadcastAsync("to all");
        var broadcast = await reader.ReceiveTextAsync();
        Assert.Contains("to all", broadcast);
        Assert.DoesNotContain("\"seq\"", broadcast);
        Assert.Contains("to all", await sender.ReceiveTextAsync()); // A broadcast reaches its sender too.

        // The next SEND is the inbox's first message, and nothing else is stored.
        var message = Wire.Send(b, "one");
        await sender.SendTextAsync(message);
        Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
        InboxServer.AssertStored(message, await reader.ReceiveTextAsync(), a, 1);
        var status = await server.InboxOfAsync(b);
        Assert.Equal((epoch, 1UL, 1), (status.Epoch, status.Last, status.Kept));
    }

    [Fact]
    public async Task A_retry_with_the_same_mid_is_answered_like_the_first_copy_and_not_delivered_twice()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(a);
        var first = await server.ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, 1, 0, false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await server.AwaitNoReaderAsync(b);

        var message = $$"""{"type":1,"receiver":{{b}},"content":"once","mid":"m-1"}""";
        await sender.SendTextAsync(message);
        Assert.Equal(InboxServer.Stored(b), await sender.ReceiveTextAsync());
        await using var reader = await server.ResumeAsync(b, 0, epoch);
        await reader.ReceiveHeaderAsync(b, 1, 1, false);
        InboxServer.AssertStored(message, await reader.ReceiveTextAsync(), a, 1);

        // Now the receiver is online, but the retry gets the first copy's answer and is not delivered again.
        await sender.SendTextAsync(message);
        Assert.Equal(InboxServer.Stored(b), await sender.ReceiveTextAsync());
        var next = Wire.Send(b, "next");
        await sender.SendTextAsync(next);
        Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
        InboxServer.AssertStored(next, await reader.ReceiveTextAsync(), a, 2);
    }

    [Fact]
    public async Task A_bad_mid_is_refused_in_a_session_that_opted_in_and_relayed_as_before_in_a_version_1_session()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, c) = (Ids.Next(), Ids.Next());
        await using var optedIn = await server.ResumeAsync(a, 0);
        await optedIn.ReceiveHeaderAsync(a, 1, 0, false);
        await using var plainSender = await server.ConnectAsync(Ids.Next());
        await using var receiver = await server.ConnectAsync(c);
        var message = $$"""{"type":1,"receiver":{{c}},"content":"x","mid":5}""";

        await optedIn.SendTextAsync(message);
        Assert.Equal("mid must be a string", Wire.AssertErrorReply(await optedIn.ReceiveTextAsync(), a));

        await plainSender.SendTextAsync(message);
        Assert.Equal(Wire.SuccessSend(c), await plainSender.ReceiveTextAsync());
        Assert.Contains("\"mid\":5", await receiver.ReceiveTextAsync());
    }

    [Fact]
    public async Task Acks_keep_the_order_of_the_sends_across_inbox_and_plain_receivers()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b, c) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var reader = await server.ResumeAsync(b, 0);
        await reader.ReceiveHeaderAsync(b, 1, 0, false);
        await using var plain = await server.ConnectAsync(c);
        await using var sender = await server.ConnectAsync(a);

        // Written without waiting: the plain receiver's answers must not overtake the inbox's.
        const int Rounds = 50;
        for (var i = 0; i < Rounds; i++)
        {
            await sender.SendTextAsync(Wire.Send(b, "inbox " + i));
            await sender.SendTextAsync(Wire.Send(c, "plain " + i));
        }

        for (var i = 0; i < Rounds; i++)
        {
            Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
            Assert.Equal(Wire.SuccessSend(c), await sender.ReceiveTextAsync());
        }

        for (var i = 0; i < Rounds; i++)
        {
            InboxServer.AssertStored(Wire.Send(b, "inbox " + i), await reader.ReceiveTextAsync(), a, (ulong)i + 1);
        }
    }

    [Fact]
    public async Task Messages_sent_during_a_replay_arrive_once_in_order_after_it()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b) = (Ids.Next(), Ids.Next());
        var first = await server.ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, 1, 0, false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await server.AwaitNoReaderAsync(b);
        await using var sender = await server.ConnectAsync(a);
        const int Before = 300;
        const int During = 300;
        for (var i = 1; i <= Before; i++)
        {
            await sender.SendTextAsync(Wire.Send(b, "m" + i));
        }

        for (var i = 1; i <= Before; i++)
        {
            Assert.Equal(InboxServer.Stored(b), await sender.ReceiveTextAsync());
        }

        // The resume starts while more messages keep coming.
        var sending = Task.Run(async () =>
        {
            for (var i = Before + 1; i <= Before + During; i++)
            {
                await sender.SendTextAsync(Wire.Send(b, "m" + i));
            }
        });
        await using var resumed = await server.ResumeAsync(b, 0, epoch);
        var header = await resumed.ReceiveJsonAsync();
        Assert.Equal("resume", header.GetProperty("content").GetString());
        Assert.Equal(1UL, header.GetProperty("first").GetUInt64());
        var last = header.GetProperty("last").GetUInt64();
        Assert.InRange(last, (ulong)Before, (ulong)(Before + During));
        await sending;
        for (var seq = 1UL; seq <= Before + During; seq++)
        {
            InboxServer.AssertStored(Wire.Send(b, "m" + seq), await resumed.ReceiveTextAsync(), a, seq);
        }

        for (var i = 0; i < During; i++)
        {
            var answer = await sender.ReceiveTextAsync();
            Assert.True(answer == InboxServer.Stored(b) || answer == Wire.SuccessSend(b), answer);
        }

        Assert.False(resumed.TryReceive(out var extra), $"more than {Before + During} messages: {extra}");
    }

    [Theory]
    [InlineData("resume=abc", "resume must be decimal digits only")]
    [InlineData("resume=-1", "resume must be decimal digits only")]
    [InlineData("resume=18446744073709551616", "resume must not exceed 18446744073709551615")]
    [InlineData("resume=1&epoch=", "epoch must be 1 to 32 characters")]
    [InlineData("resume=1&epoch=012345678901234567890123456789012", "epoch must be 1 to 32 characters")]
    [InlineData("epoch=abc", "epoch needs a resume parameter")]
    [InlineData("resume=1&resume=2", "resume and epoch may each be given once")]
    public async Task A_bad_resume_or_epoch_is_refused_with_400_and_its_reason(string query, string reason)
    {
        await using var server = await InboxServer.StartAsync(_directory);

        var (status, contentType, body) = await server.RawUpgradeAsync($"ws/{Ids.Next()}?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        RelayServer.AssertErrorBody(contentType, body);
        Assert.Contains(reason, body);
    }

    [Fact]
    public async Task Resume_with_the_inbox_disabled_is_refused_with_400_and_a_version_1_session_is_unchanged()
    {
        await using var server = await RelayServer.StartAsync(("Relay:Inbox:Enabled", "false"));
        var (a, b) = (Ids.Next(), Ids.Next());

        var (status, contentType, body) = await server.RawUpgradeAsync($"ws/{b}?resume=0");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        RelayServer.AssertErrorBody(contentType, body);
        Assert.Contains("Relay:Inbox:Enabled is false", body);
        await using var sender = await server.ConnectAsync(a);
        await Probe.AssertOfflineAsync(sender, b);
    }

    [Fact]
    public async Task A_user_who_never_opted_in_gets_version_1_answers_and_no_inbox()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(a);

        await Probe.AssertOfflineAsync(sender, b);
        await using var receiver = await server.ConnectAsync(b);
        await Probe.RoundTripAsync(sender, a, receiver, b);
        Assert.Null((await server.InboxOfAsync(b)).Epoch);
    }

    [Fact]
    public async Task The_server_api_stores_for_an_inbox_user_and_shows_the_inbox()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        var b = Ids.Next();
        var first = await server.ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, 1, 0, false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await server.AwaitNoReaderAsync(b);
        using var api = new ApiClient(server.BaseUri);

        var (status, answer) = await api.SendToAsync(b, "from the backend");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("stored", answer.GetProperty("result").GetString());
        Assert.False(answer.GetProperty("delivered").GetBoolean());

        var (_, user) = await api.GetAsync($"api/users/{b}");
        Assert.False(user.GetProperty("online").GetBoolean());
        var inbox = user.GetProperty("inbox");
        Assert.Equal(epoch, inbox.GetProperty("epoch").GetString());
        Assert.Equal(1UL, inbox.GetProperty("lastSeq").GetUInt64());
        Assert.Equal(1, inbox.GetProperty("messages").GetInt32());
        var (_, nobody) = await api.GetAsync($"api/users/{Ids.Next()}");
        Assert.False(nobody.TryGetProperty("inbox", out _));

        await using var resumed = await server.ResumeAsync(b, 0, epoch);
        await resumed.ReceiveHeaderAsync(b, 1, 1, false);
        var stored = await resumed.ReceiveJsonAsync();
        Assert.Equal(1UL, stored.GetProperty("seq").GetUInt64());
        Assert.Equal("from the backend", stored.GetProperty("content").GetString());
    }

    [Fact]
    public async Task Inbox_metrics_count_appends_stored_answers_replays_and_persist_times()
    {
        await using var server = await InboxServer.StartAsync(_directory);
        using var http = server.CreateHttpClient();
        var before = await MetricsScrape.TakeAsync(http);
        var (a, b) = (Ids.Next(), Ids.Next());
        var first = await server.ResumeAsync(b, 0);
        var epoch = await first.ReceiveHeaderAsync(b, 1, 0, false);
        await first.CloseAsync();
        await first.DisposeAsync();
        await server.AwaitNoReaderAsync(b);
        await using var sender = await server.ConnectAsync(a);
        for (var i = 0; i < 2; i++)
        {
            await sender.SendTextAsync(Wire.Send(b, "m" + i));
            Assert.Equal(InboxServer.Stored(b), await sender.ReceiveTextAsync());
        }

        await using var resumed = await server.ResumeAsync(b, 0, epoch);
        await resumed.ReceiveHeaderAsync(b, 1, 2, false);
        await resumed.ReceiveTextAsync();
        await resumed.ReceiveTextAsync();

        var after = await MetricsScrape.TakeAsync(http);
        Assert.Equal(2, after.Delta(before, "relay_inbox_appends_total"));
        Assert.Equal(2, after.Delta(before, "relay_acks_total", ("result", "stored")));
        Assert.Equal(2, after.Delta(before, "relay_inbox_replays_total"));
        Assert.Equal(2, after.Delta(before, "relay_inbox_replayed_total"));
        Assert.Equal(2, after.Delta(before, "relay_inbox_persist_duration_seconds_count"));
        // Buckets in seconds: both local writes took well under a second, and the finest bucket is a millisecond.
        Assert.Equal(2, after.Delta(before, "relay_inbox_persist_duration_seconds_bucket", ("le", "1")));
        Assert.True(after.Has("relay_inbox_persist_duration_seconds_bucket") && after.Text.Contains("le=\"0.001\"", StringComparison.Ordinal), "no millisecond bucket");
        Assert.Equal(0, after.Delta(before, "relay_inbox_store_failures_total"));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file a moment after the server stopped; the temp folder is cleaned later.
        }
    }
}
