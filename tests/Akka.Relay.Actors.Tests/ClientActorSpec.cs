using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Protocol;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests;

/// <summary>
/// One ClientActor against a TestProbe directory, over a real loopback WebSocket pair.
/// The close timeout is long on purpose: every close below must finish by handshake, not by abort.
/// </summary>
public sealed class ClientActorSpec : Akka.TestKit.Xunit2.TestKit
{
    private const ulong UserId = 7;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly ClientSettings DefaultSettings = new(
        MaxMessageBytes: 512,
        OutboundQueueCapacity: 1024,
        CloseTimeout: TimeSpan.FromSeconds(30));

    public ClientActorSpec(ITestOutputHelper output)
        : base(SessionMailbox.Definition, output: output)
    {
    }

    [Fact]
    public async Task PreStart_registers_with_the_directory_and_Registered_admits_the_session()
    {
        var directory = CreateTestProbe();
        var signals = new SessionSignals();

        var actor = Sys.ActorOf(ClientActor.GetProps(UserId, directory.Ref, DefaultSettings, signals));

        var register = await directory.ExpectMsgAsync<Register>(Timeout);
        Assert.Equal(UserId, register.UserId);
        Assert.Equal(actor, register.Session);
        Assert.False(signals.Admission.IsCompleted);

        directory.Reply(new Registered(UserId));

        Assert.IsType<Admission.Accepted>(await signals.Admission.WaitAsync(Timeout));
        Assert.False(signals.Completion.IsCompleted);
    }

    [Fact]
    public async Task RegistrationRefused_refuses_admission_stops_the_actor_and_completes()
    {
        var directory = CreateTestProbe();
        var signals = new SessionSignals();
        var actor = Sys.ActorOf(ClientActor.GetProps(UserId, directory.Ref, DefaultSettings, signals));
        Watch(actor);
        await directory.ExpectMsgAsync<Register>(Timeout);

        directory.Reply(new RegistrationRefused(UserId, RefusalReason.SessionLimit, "too many sessions"));

        var refused = Assert.IsType<Admission.Refused>(await signals.Admission.WaitAsync(Timeout));
        Assert.Equal(RefusalReason.SessionLimit, refused.Reason);
        Assert.Equal("too many sessions", refused.Detail);
        await ExpectTerminatedAsync(actor, Timeout);
        await signals.Completion.WaitAsync(Timeout);
        // Never registered, so nothing to unregister.
        await directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_SEND_from_the_client_reaches_the_directory_with_the_sender_stamped()
    {
        await using var session = await StartSessionAsync();

        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"hi\"}");

        var send = await session.Directory.ExpectMsgAsync<SendToUser>(Timeout);
        // Sent as the session itself, so the directory's ack comes back to it.
        Assert.Equal(session.Actor, session.Directory.LastSender);
        Assert.Equal(2UL, send.Receiver);
        using var json = JsonDocument.Parse(send.Payload);
        Assert.Equal(UserId, json.RootElement.GetProperty("sender").GetUInt64());
        Assert.Equal(1, json.RootElement.GetProperty("type").GetInt32());
        Assert.Equal(2UL, json.RootElement.GetProperty("receiver").GetUInt64());
        Assert.Equal("hi", json.RootElement.GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_SEND_claiming_another_sender_is_restamped_with_the_sessions_user()
    {
        await using var session = await StartSessionAsync();

        await session.Client.SendTextAsync("{\"type\":1,\"sender\":99,\"receiver\":2,\"content\":\"hi\"}");

        var send = await session.Directory.ExpectMsgAsync<SendToUser>(Timeout);
        using var json = JsonDocument.Parse(send.Payload);
        Assert.Equal(UserId, json.RootElement.GetProperty("sender").GetUInt64());
    }

    [Theory]
    [InlineData(3)] // BROADCAST
    [InlineData(0)] // CONNECT announcement
    [InlineData(4)] // CLOSE announcement
    public async Task A_broadcast_from_the_client_reaches_the_directory_as_BroadcastToAll(int type)
    {
        await using var session = await StartSessionAsync();

        await session.Client.SendTextAsync($"{{\"type\":{type},\"content\":\"hello all\"}}");

        var broadcast = await session.Directory.ExpectMsgAsync<BroadcastToAll>(Timeout);
        using var json = JsonDocument.Parse(broadcast.Payload);
        Assert.Equal(UserId, json.RootElement.GetProperty("sender").GetUInt64());
        Assert.Equal(type, json.RootElement.GetProperty("type").GetInt32());
        Assert.Equal("hello all", json.RootElement.GetProperty("content").GetString());
    }

    [Theory]
    [InlineData(true, "{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"success send\"}")]
    [InlineData(false, "{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"not online\"}")]
    public async Task A_SendAck_reaches_the_client_as_the_exact_system_message(bool delivered, string expected)
    {
        await using var session = await StartSessionAsync();

        session.Actor.Tell(new SendAck(2, delivered), session.Directory.Ref);

        Assert.Equal(expected, await session.Client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Inbox_answers_reach_the_client_as_the_exact_system_messages()
    {
        await using var session = await StartSessionAsync();

        session.Actor.Tell(new SendAck(2, SendOutcome.Stored), session.Directory.Ref);
        session.Actor.Tell(new SendAck(2, SendOutcome.InboxUnavailable), session.Directory.Ref);

        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"stored\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal($"{{\"type\":2,\"sender\":0,\"receiver\":{UserId},\"content\":\"error: inbox unavailable\"}}", await session.Client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_session_whose_inbox_reader_is_lost_closes_with_1011_after_what_it_already_got()
    {
        var session = await StartSessionAsync();
        var header = Encoding.UTF8.GetBytes("{\"type\":2,\"content\":\"resume\"}");
        var stored = Encoding.UTF8.GetBytes("{\"seq\":1,\"type\":1}");

        session.Actor.Tell(new InboxReaderOpened("E", 1, 1, false, header));
        session.Actor.Tell(new InboxDelivery(1, stored));
        session.Actor.Tell(new InboxReaderLost(UserId));

        var received = await session.Client.ReceiveUntilCloseAsync();
        Assert.Equal(["{\"type\":2,\"content\":\"resume\"}", "{\"seq\":1,\"type\":1}"], received.Messages.Select(m => m.Text));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, received.CloseStatus);
        await FinishServerInitiatedCloseAsync(session);
        await session.DisposeAsync();
    }

    [Fact]
    public async Task A_session_that_opted_in_closes_with_1011_when_its_inbox_does_not_open_in_time()
    {
        var session = await StartSessionAsync(DefaultSettings with { InboxOpenTimeout = TimeSpan.FromMilliseconds(300) }, new ResumeRequest(true, 0, null, null));

        // The directory registered it but no InboxReaderOpened ever comes (the open request was lost).
        var received = await session.Client.ReceiveUntilCloseAsync();

        Assert.Empty(received.Messages);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, received.CloseStatus);
        Assert.Equal("inbox unavailable; resume", received.CloseDescription);
        await FinishServerInitiatedCloseAsync(session);
        await session.DisposeAsync();
    }

    [Fact]
    public async Task A_session_whose_inbox_opened_in_time_stays_open_past_the_open_timeout()
    {
        var openTimeout = TimeSpan.FromMilliseconds(300);
        await using var session = await StartSessionAsync(DefaultSettings with { InboxOpenTimeout = openTimeout }, new ResumeRequest(true, 0, null, null));
        session.Actor.Tell(new InboxReaderOpened("E", 1, 0, false, Encoding.UTF8.GetBytes("{\"type\":2,\"content\":\"resume\"}")));
        Assert.Equal("{\"type\":2,\"content\":\"resume\"}", await session.Client.ReceiveTextAsync());

        // The actor is watched by the test: it must not stop, well past the timeout.
        await ExpectNoMsgAsync(openTimeout * 3);
        session.Actor.Tell(new SendAck(2, SendOutcome.Stored), session.Directory.Ref);
        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"stored\"}", await session.Client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_session_that_opted_in_gets_its_resume_header_first_and_what_came_before_it_after()
    {
        await using var session = await StartSessionAsync(resume: new ResumeRequest(true, 0, null, null));
        var broadcast = Encoding.UTF8.GetBytes("{\"type\":3,\"sender\":9,\"content\":\"early\"}");

        // A broadcast and an answer reach the session before its inbox has opened.
        session.Actor.Tell(new Deliver(broadcast) { Broadcast = true });
        session.Actor.Tell(new SendAck(2, SendOutcome.Stored), session.Directory.Ref);
        session.Actor.Tell(new InboxReaderOpened("E", 1, 1, false, Encoding.UTF8.GetBytes("{\"type\":2,\"content\":\"resume\"}")));
        session.Actor.Tell(new InboxDelivery(1, Encoding.UTF8.GetBytes("{\"seq\":1,\"type\":1}")));

        Assert.Equal("{\"type\":2,\"content\":\"resume\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal("{\"type\":3,\"sender\":9,\"content\":\"early\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"stored\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal("{\"seq\":1,\"type\":1}", await session.Client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_session_that_opted_in_closes_with_1011_when_more_waits_for_its_header_than_its_queue_holds()
    {
        var session = await StartSessionAsync(DefaultSettings with { OutboundQueueCapacity = 2 }, new ResumeRequest(true, 0, null, null));
        var broadcast = Encoding.UTF8.GetBytes("{\"type\":3,\"sender\":9,\"content\":\"early\"}");

        for (var i = 0; i < 3; i++)
        {
            session.Actor.Tell(new Deliver(broadcast) { Broadcast = true });
        }

        var received = await session.Client.ReceiveUntilCloseAsync();
        Assert.Empty(received.Messages);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, received.CloseStatus);
        await FinishServerInitiatedCloseAsync(session);
        await session.DisposeAsync();
    }

    [Fact]
    public async Task Acks_reach_the_client_in_the_order_they_were_given()
    {
        await using var session = await StartSessionAsync();

        session.Actor.Tell(new SendAck(2, true), session.Directory.Ref);
        session.Actor.Tell(new SendAck(3, false), session.Directory.Ref);
        session.Actor.Tell(new SendAck(4, true), session.Directory.Ref);

        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"success send\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":3,\"content\":\"not online\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":4,\"content\":\"success send\"}", await session.Client.ReceiveTextAsync());
    }

    [Fact]
    public async Task At_the_limit_of_unanswered_SENDs_nothing_more_is_read_until_an_answer_comes_back()
    {
        await using var session = await StartSessionAsync(DefaultSettings with { MaxUnansweredSends = 2 });

        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"a\"}");
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":3,\"content\":\"b\"}");
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":4,\"content\":\"c\"}");
        await session.Client.SendTextAsync("{\"type\":3,\"content\":\"d\"}");

        Assert.Equal(2UL, (await session.Directory.ExpectMsgAsync<SendToUser>(Timeout)).Receiver);
        Assert.Equal(3UL, (await session.Directory.ExpectMsgAsync<SendToUser>(Timeout)).Receiver);
        // The third SEND and the broadcast behind it wait in the socket, unread.
        await session.Directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        session.Actor.Tell(new SendAck(2, true), session.Directory.Ref);

        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":2,\"content\":\"success send\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal(4UL, (await session.Directory.ExpectMsgAsync<SendToUser>(Timeout)).Receiver);
        await session.Directory.ExpectMsgAsync<BroadcastToAll>(Timeout);
    }

    [Fact]
    public async Task A_SEND_the_cluster_could_not_route_is_answered_with_an_error_and_frees_its_credit()
    {
        await using var session = await StartSessionAsync(DefaultSettings with { MaxUnansweredSends = 1 });
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"a\"}");
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":3,\"content\":\"b\"}");
        Assert.Equal(2UL, (await session.Directory.ExpectMsgAsync<SendToUser>(Timeout)).Receiver);

        // Neither "success send" nor "not online" would be true: the client hears an error, and may send on.
        session.Actor.Tell(new SendAck(2, SendOutcome.NoRoute), session.Directory.Ref);

        Assert.Equal("{\"type\":2,\"sender\":0,\"receiver\":7,\"content\":\"error: the cluster could not route the message\"}", await session.Client.ReceiveTextAsync());
        Assert.Equal(3UL, (await session.Directory.ExpectMsgAsync<SendToUser>(Timeout)).Receiver);
    }

    [Fact]
    public async Task A_session_waiting_for_answers_still_closes_when_the_server_closes_it()
    {
        var session = await StartSessionAsync(DefaultSettings with { MaxUnansweredSends = 1 });
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"a\"}");
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":3,\"content\":\"b\"}");
        await session.Directory.ExpectMsgAsync<SendToUser>(Timeout);

        session.Actor.Tell(CloseSession.GoingAway);

        // The read pump, held at the limit, goes on to the client's close reply; the held SEND is not routed.
        var received = await session.Client.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, received.CloseStatus);
        Assert.Equal(new Unregister(UserId, session.Actor), await session.Directory.ExpectMsgAsync<Unregister>(Timeout));
        await FinishServerInitiatedCloseAsync(session);
        await session.Directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await session.DisposeAsync();
    }

    [Theory]
    [InlineData("{\"type\":2}", ErrorReasons.SystemTypeReserved)]
    [InlineData("not json", ErrorReasons.InvalidJson)]
    [InlineData("", ErrorReasons.InvalidJson)]
    [InlineData("{\"type\":1,\"content\":\"x\"}", ErrorReasons.MissingReceiver)]
    [InlineData("{\"type\":1,\"receiver\":0,\"content\":\"x\"}", ErrorReasons.ReceiverIsServer)]
    [InlineData("{\"type\":9}", "unknown type 9")]
    public async Task An_invalid_message_gets_an_error_reply_and_the_session_stays_usable(string invalid, string reason)
    {
        await using var session = await StartSessionAsync();

        await session.Client.SendTextAsync(invalid);

        var reply = await session.Client.ReceiveTextAsync();
        Assert.Equal($"{{\"type\":2,\"sender\":0,\"receiver\":{UserId},\"content\":\"error: {reason}\"}}", reply);
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"still here\"}");
        // The invalid message was not routed: the next thing the directory sees is the valid SEND.
        var send = await session.Directory.ExpectMsgAsync<SendToUser>(Timeout);
        Assert.Equal(2UL, send.Receiver);
        Assert.Equal(WebSocketState.Open, session.Client.State);
    }

    [Fact]
    public async Task Deliver_writes_the_payload_bytes_unchanged_to_the_client()
    {
        await using var session = await StartSessionAsync();
        var payload = Encoding.UTF8.GetBytes("{\"sender\":3,\"type\":1,\"receiver\":7,\"content\":\"h\u00e9llo \u2713 \\u00e9\",\"msgId\":42}");

        session.Actor.Tell(new Deliver(payload));

        var message = await session.Client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        Assert.Equal(payload, message.Bytes);
    }

    [Fact]
    public async Task A_message_exactly_at_the_size_limit_is_accepted_even_when_fragmented()
    {
        await using var session = await StartSessionAsync();
        var head = "{\"type\":1,\"receiver\":2,\"content\":\"";
        var text = head + new string('x', DefaultSettings.MaxMessageBytes - head.Length - 2) + "\"}";
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(DefaultSettings.MaxMessageBytes, bytes.Length);

        await session.Client.SendAsync(bytes.AsMemory(0, 300), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await session.Client.SendAsync(bytes.AsMemory(300), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var send = await session.Directory.ExpectMsgAsync<SendToUser>(Timeout);
        Assert.Equal(2UL, send.Receiver);
    }

    [Fact]
    public async Task A_message_that_starts_with_an_empty_fragment_is_reassembled()
    {
        await using var session = await StartSessionAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"type\":1,\"receiver\":2,\"content\":\"after an empty frame\"}");

        // The read pump waits for each message with a zero-byte read: an empty first frame must not end the message.
        await session.Client.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await session.Client.SendAsync(bytes.AsMemory(0, 10), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await session.Client.SendAsync(bytes.AsMemory(10), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var send = await session.Directory.ExpectMsgAsync<SendToUser>(Timeout);
        Assert.Equal(2UL, send.Receiver);
        Assert.Contains("after an empty frame", Encoding.UTF8.GetString(send.Payload));
    }

    [Fact]
    public async Task A_slow_consumer_is_unregistered_and_closed_with_1008()
    {
        var settings = DefaultSettings with { OutboundQueueCapacity = 4 };
        await using var session = await StartSessionAsync(settings);
        var payload = Encoding.UTF8.GetBytes(
            "{\"sender\":3,\"type\":1,\"receiver\":7,\"content\":\"" + new string('x', 450) + "\"}");

        // The client does not read: the socket buffers fill, then the 4-message queue.
        for (var i = 0; i < 10_000; i++)
        {
            session.Actor.Tell(new Deliver(payload));
        }

        var unregister = await session.Directory.ExpectMsgAsync<Unregister>(TimeSpan.FromSeconds(10));
        Assert.Equal(UserId, unregister.UserId);
        Assert.Equal(session.Actor, unregister.Session);

        // Now the client reads: whatever was already written, then the close frame.
        var received = await session.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, received.CloseStatus);
        Assert.Equal("slow consumer", received.CloseDescription);
        Assert.True(received.Messages.Count < 10_000, $"all {received.Messages.Count} messages were written: no overflow");
        Assert.All(received.Messages, m => Assert.Equal(payload, m.Bytes));

        await FinishServerInitiatedCloseAsync(session);
    }

    [Fact]
    public async Task A_client_that_keeps_reading_is_not_closed_by_a_burst_far_longer_than_its_queue()
    {
        // Only a reader whose socket stops draining is a slow consumer; a burst may outrun a prompt one.
        var settings = DefaultSettings with { OutboundQueueCapacity = 4, OutboundQueueMaxBytes = 1024 * 1024 };
        await using var session = await StartSessionAsync(settings);
        const int burst = 3000;

        for (var i = 0; i < burst; i++)
        {
            session.Actor.Tell(new Deliver(Encoding.UTF8.GetBytes($"{{\"sender\":3,\"type\":3,\"content\":\"{i}\"}}")));
        }

        for (var i = 0; i < burst; i++)
        {
            var received = await session.Client.ReceiveMessageAsync(Timeout);
            Assert.Equal(WebSocketMessageType.Text, received.Type);
            Assert.Equal($"{{\"sender\":3,\"type\":3,\"content\":\"{i}\"}}", received.Text);
        }

        // Still registered and open: the next message arrives too.
        session.Actor.Tell(new Deliver("{\"sender\":3,\"type\":3,\"content\":\"after\"}"u8.ToArray()));
        Assert.Equal("{\"sender\":3,\"type\":3,\"content\":\"after\"}", await session.Client.ReceiveTextAsync(Timeout));
        await session.Directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_with_1009()
    {
        await using var session = await StartSessionAsync();
        var tooBig = "{\"type\":1,\"receiver\":2,\"content\":\"" + new string('x', 600) + "\"}";

        await session.Client.SendTextAsync(tooBig);

        await AssertServerClosesAsync(session, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public async Task A_fragmented_message_over_the_size_limit_closes_with_1009()
    {
        await using var session = await StartSessionAsync();
        var fragment = Encoding.UTF8.GetBytes(new string('x', 200));

        // Each fragment is well under the limit; only the reassembled message is over it.
        await session.Client.SendAsync("{\"type\":1,\"receiver\":2,\"content\":\""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await session.Client.SendAsync(fragment, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        }

        await session.Client.SendAsync("\"}"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        await AssertServerClosesAsync(session, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public async Task A_binary_frame_closes_with_1003()
    {
        await using var session = await StartSessionAsync();

        await session.Client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        await AssertServerClosesAsync(session, WebSocketCloseStatus.InvalidMessageType);
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_text_frame_closes_with_1007()
    {
        await using var session = await StartSessionAsync();

        await session.Client.SendAsync(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}' }, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var received = await session.Client.ReceiveUntilCloseAsync();
        Assert.Empty(received.Messages);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, received.CloseStatus);
        var unregister = await session.Directory.ExpectMsgAsync<Unregister>(Timeout);
        Assert.Equal(new Unregister(UserId, session.Actor), unregister);
        await ExpectTerminatedAsync(session.Actor, Timeout);
        await session.Signals.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_normal_close_by_the_client_unregisters_is_answered_and_stops_the_actor()
    {
        await using var session = await StartSessionAsync();

        await session.Client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(Timeout);

        // CloseAsync returned: the server answered the close frame, echoing the code.
        Assert.Equal(WebSocketState.Closed, session.Client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, session.Client.CloseStatus);
        var unregister = await session.Directory.ExpectMsgAsync<Unregister>(Timeout);
        Assert.Equal(new Unregister(UserId, session.Actor), unregister);
        await ExpectTerminatedAsync(session.Actor, Timeout);
        await session.Signals.Completion.WaitAsync(Timeout);
        Assert.Equal(WebSocketState.Closed, session.Server.State);
    }

    [Fact]
    public async Task GoingAway_writes_pending_messages_first_then_closes_with_1001()
    {
        await using var session = await StartSessionAsync();
        var payloads = Enumerable.Range(1, 3)
            .Select(i => Encoding.UTF8.GetBytes($"{{\"sender\":3,\"type\":1,\"receiver\":7,\"content\":\"m{i}\"}}"))
            .ToArray();

        foreach (var payload in payloads)
        {
            session.Actor.Tell(new Deliver(payload));
        }

        session.Actor.Tell(CloseSession.GoingAway);

        var unregister = await session.Directory.ExpectMsgAsync<Unregister>(Timeout);
        Assert.Equal(new Unregister(UserId, session.Actor), unregister);
        var received = await session.Client.ReceiveUntilCloseAsync();
        Assert.Equal(payloads, received.Messages.Select(m => m.Bytes));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, received.CloseStatus);
        await FinishServerInitiatedCloseAsync(session);
    }

    [Fact]
    public async Task An_abrupt_TCP_drop_unregisters_and_stops_the_actor()
    {
        await using var session = await StartSessionAsync();

        session.Pair.DropClient();

        var unregister = await session.Directory.ExpectMsgAsync<Unregister>(Timeout);
        Assert.Equal(new Unregister(UserId, session.Actor), unregister);
        await ExpectTerminatedAsync(session.Actor, Timeout);
        await session.Signals.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Nothing_the_client_sends_after_a_server_close_is_routed()
    {
        await using var session = await StartSessionAsync();
        session.Actor.Tell(CloseSession.GoingAway);
        await session.Directory.ExpectMsgAsync<Unregister>(Timeout);

        // The client has not read the close frame yet, so it can still send.
        await session.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"late\"}");
        var received = await session.Client.ReceiveUntilCloseAsync();
        await FinishServerInitiatedCloseAsync(session);

        Assert.Empty(received.Messages);
        await session.Directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_client_that_never_answers_the_close_is_aborted_after_CloseTimeout()
    {
        var settings = DefaultSettings with { CloseTimeout = TimeSpan.FromMilliseconds(300) };
        await using var session = await StartSessionAsync(settings);

        session.Actor.Tell(CloseSession.GoingAway);

        // The client never reads, so it never answers the close frame: only the timeout ends the session.
        await session.Directory.ExpectMsgAsync<Unregister>(Timeout);
        await ExpectTerminatedAsync(session.Actor, Timeout);
        await session.Signals.Completion.WaitAsync(Timeout);
        Assert.Equal(WebSocketState.Aborted, session.Server.State);
    }

    [Fact]
    public async Task GoingAway_before_the_socket_is_attached_closes_it_with_1001_once_attached()
    {
        var (actor, directory, signals) = await StartAdmittedSessionAsync(DefaultSettings);

        actor.Tell(CloseSession.GoingAway);
        Assert.Equal(new Unregister(UserId, actor), await directory.ExpectMsgAsync<Unregister>(Timeout));
        await using var pair = await WebSocketPair.CreateAsync();
        actor.Tell(new AttachSocket(pair.Server));

        var received = await pair.Client.ReceiveUntilCloseAsync();
        Assert.Empty(received.Messages);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, received.CloseStatus);
        await FinishServerInitiatedCloseAsync(new Session(actor, directory, signals, pair));
    }

    [Fact]
    public async Task A_close_that_timed_out_before_the_socket_was_attached_still_aborts_a_silent_client()
    {
        var settings = DefaultSettings with { CloseTimeout = TimeSpan.FromMilliseconds(100) };
        var (actor, directory, signals) = await StartAdmittedSessionAsync(settings);
        actor.Tell(CloseSession.GoingAway);
        Assert.Equal(new Unregister(UserId, actor), await directory.ExpectMsgAsync<Unregister>(Timeout));

        // Let the close timeout pass while the upgrade is still "in progress".
        await directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(400));
        await using var pair = await WebSocketPair.CreateAsync();
        actor.Tell(new AttachSocket(pair.Server));

        // The client never reads, so it never answers the close frame: the session must
        // still end (aborted) instead of living until the client goes away.
        await ExpectTerminatedAsync(actor, Timeout);
        await signals.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task AttachFailed_after_admission_unregisters_stops_and_completes()
    {
        var (actor, directory, signals) = await StartAdmittedSessionAsync(DefaultSettings);

        actor.Tell(AttachFailed.Instance);

        Assert.Equal(new Unregister(UserId, actor), await directory.ExpectMsgAsync<Unregister>(Timeout));
        await ExpectTerminatedAsync(actor, Timeout);
        await signals.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Stopping_the_actor_from_outside_unregisters_aborts_the_socket_and_completes()
    {
        await using var session = await StartSessionAsync();

        Sys.Stop(session.Actor);

        Assert.Equal(new Unregister(UserId, session.Actor), await session.Directory.ExpectMsgAsync<Unregister>(Timeout));
        await ExpectTerminatedAsync(session.Actor, Timeout);
        await session.Signals.Completion.WaitAsync(Timeout);
        Assert.Equal(WebSocketState.Aborted, session.Server.State);
    }

    /// <summary>
    /// The server's close frame arrives with <paramref name="status"/>; the client answers it; the
    /// handshake completes (not the 30 s abort), the session is unregistered and the actor stops.
    /// </summary>
    private async Task AssertServerClosesAsync(Session session, WebSocketCloseStatus status)
    {
        var received = await session.Client.ReceiveUntilCloseAsync();
        Assert.Empty(received.Messages);
        Assert.Equal(status, received.CloseStatus);
        var unregister = await session.Directory.ExpectMsgAsync<Unregister>(Timeout);
        Assert.Equal(new Unregister(UserId, session.Actor), unregister);

        await FinishServerInitiatedCloseAsync(session);
    }

    /// <summary>
    /// The client answers the server's close frame; the handshake completes (the server socket ends
    /// Closed, not Aborted by the 30 s close timeout), the actor stops and Completion fires. Then, as the
    /// hosting layer does once Completion fires, the server's connection is closed: a .NET client
    /// waits up to 1 s for that after answering a close.
    /// </summary>
    private async Task FinishServerInitiatedCloseAsync(Session session)
    {
        var reply = session.Client.ReplyToCloseAsync();

        await ExpectTerminatedAsync(session.Actor, Timeout);
        await session.Signals.Completion.WaitAsync(Timeout);
        Assert.Equal(WebSocketState.Closed, session.Server.State);
        session.Pair.CloseServerConnection();
        await reply;
        Assert.Equal(WebSocketState.Closed, session.Client.State);
    }

    /// <summary>Starts an admitted session with its socket attached, the way the hosting layer does.</summary>
    private async Task<Session> StartSessionAsync(ClientSettings? settings = null, ResumeRequest resume = default)
    {
        var (actor, directory, signals) = await StartAdmittedSessionAsync(settings ?? DefaultSettings, resume);
        var pair = await WebSocketPair.CreateAsync();
        actor.Tell(new AttachSocket(pair.Server));
        return new Session(actor, directory, signals, pair);
    }

    /// <summary>Starts a session and admits it (the directory answers Registered); no socket yet.</summary>
    private async Task<(IActorRef Actor, TestProbe Directory, SessionSignals Signals)> StartAdmittedSessionAsync(ClientSettings settings, ResumeRequest resume = default)
    {
        var directory = CreateTestProbe();
        var signals = new SessionSignals();
        var actor = Sys.ActorOf(ClientActor.GetProps(UserId, directory.Ref, settings, signals, resume: resume));
        Watch(actor);
        var register = await directory.ExpectMsgAsync<Register>(Timeout);
        Assert.Equal(new Register(UserId, actor) { Resume = resume }, register);
        directory.Reply(new Registered(UserId));
        Assert.IsType<Admission.Accepted>(await signals.Admission.WaitAsync(Timeout));
        return (actor, directory, signals);
    }

    private sealed record Session(IActorRef Actor, TestProbe Directory, SessionSignals Signals, WebSocketPair Pair) : IAsyncDisposable
    {
        public WebSocket Client => Pair.Client;

        public WebSocket Server => Pair.Server;

        public ValueTask DisposeAsync() => Pair.DisposeAsync();
    }
}
