using Akka.Relay.Testing.Stores;
using System.Text;
using Akka.Actor;
using Akka.Persistence.TestKit;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Protocol;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The single node hub's SEND path through users' inboxes, on the TestKit's journal whose writes a test can fail.</summary>
public sealed class HubInboxSpec : Akka.TestKit.Xunit2.TestKit
{
    private const ulong A = 3;
    private const ulong B = 7;
    private const ulong C = 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AppendTimeout = TimeSpan.FromSeconds(2);

    private const string Config = TestJournalConfig.Hocon;

    public HubInboxSpec(ITestOutputHelper output)
        : base(Config, output: output)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    [Fact]
    public async Task A_rejected_write_is_answered_inbox_unavailable_and_delivered_to_nobody_then_the_next_gets_seq_1()
    {
        var hub = StartHub();
        var reader = await OpenReaderAsync(hub, B);
        var plain = await RegisterAsync(hub, B);
        var sender = CreateTestProbe();

        await Journal.OnWrite.Reject();
        hub.Tell(Send(B, "lost"), sender.Ref);

        var ack = await sender.ExpectMsgAsync<SendAck>(Timeout);
        Assert.Equal(SendOutcome.InboxUnavailable, ack.Outcome);
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        await plain.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        await Journal.OnWrite.Pass();
        hub.Tell(Send(B, "kept"), sender.Ref);
        var delivered = await sender.ExpectMsgAsync<SendAck>(Timeout);
        Assert.Equal(SendOutcome.Delivered, delivered.Outcome);
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        Assert.DoesNotContain("\"seq\"", Encoding.UTF8.GetString((await plain.ExpectMsgAsync<Deliver>(Timeout)).Payload));
    }

    [Fact]
    public async Task A_failed_store_is_answered_inbox_unavailable_and_the_reader_is_told_to_resume()
    {
        var hub = StartHub();
        var reader = await OpenReaderAsync(hub, B);
        var sender = CreateTestProbe();

        await Journal.OnWrite.Fail();
        hub.Tell(Send(B, "lost"), sender.Ref);

        Assert.Equal(SendOutcome.InboxUnavailable, (await sender.ExpectMsgAsync<SendAck>(Timeout)).Outcome);
        await reader.ExpectMsgAsync<InboxReaderLost>(Timeout);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_in_time_is_answered_inbox_unavailable()
    {
        var hub = StartHub();
        await OpenReaderAsync(hub, B, close: true);
        var sender = CreateTestProbe();

        await Journal.OnWrite.PassWithDelay(AppendTimeout * 3);
        hub.Tell(Send(B, "slow"), sender.Ref);

        Assert.Equal(SendOutcome.InboxUnavailable, (await sender.ExpectMsgAsync<SendAck>(Timeout)).Outcome);
        await sender.ExpectNoMsgAsync(AppendTimeout * 3); // The late write is not answered a second time.
    }

    [Fact]
    public async Task A_send_to_a_plain_user_is_not_answered_before_an_earlier_send_still_being_stored()
    {
        var hub = StartHub();
        var reader = await OpenReaderAsync(hub, B);
        var plain = await RegisterAsync(hub, C);
        var sender = CreateTestProbe();

        await Journal.OnWrite.PassWithDelay(TimeSpan.FromSeconds(1));
        hub.Tell(Send(B, "first"), sender.Ref);
        hub.Tell(Send(C, "second"), sender.Ref);

        await plain.ExpectMsgAsync<Deliver>(Timeout);
        Assert.Equal(B, (await sender.ExpectMsgAsync<SendAck>(Timeout)).Receiver);
        Assert.Equal(C, (await sender.ExpectMsgAsync<SendAck>(Timeout)).Receiver);
        await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
    }

    [Fact]
    public async Task Sends_are_answered_while_the_store_cannot_list_its_inboxes()
    {
        // A read journal that cannot answer (here: none configured under that id) must not hold SENDs back.
        var hub = StartHub("akka.persistence.query.journal.missing");
        var sender = CreateTestProbe();

        hub.Tell(Send(C, "hi"), sender.Ref);

        var ack = await sender.ExpectMsgAsync<SendAck>(Timeout);
        Assert.Equal(SendOutcome.NotOnline, ack.Outcome);
        var reader = await OpenReaderAsync(hub, B);
        hub.Tell(Send(B, "kept"), sender.Ref);
        Assert.True((await sender.ExpectMsgAsync<SendAck>(Timeout)).Delivered);
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
    }

    [Fact]
    public async Task The_hub_is_not_ready_until_it_knows_which_users_hold_an_inbox()
    {
        // A shelf that never lists: the hub holds SENDs that may need an inbox and says it is not ready.
        var hub = Sys.ActorOf(HubActor.GetProps(new HubSettings(16), inbox: new InboxRouting(Akka.TestKit.TestActors.BlackHoleActor.Props, AppendTimeout)));
        Assert.False((await hub.Ask<HubReadiness>(GetHubReadiness.Instance, Timeout)).InboxesListed);

        hub.Tell(new InboxUsersKnown([B]));

        Assert.True((await hub.Ask<HubReadiness>(GetHubReadiness.Instance, Timeout)).InboxesListed);
        var plain = Sys.ActorOf(HubActor.GetProps(new HubSettings(16)));
        Assert.True((await plain.Ask<HubReadiness>(GetHubReadiness.Instance, Timeout)).InboxesListed);
    }

    private IActorRef StartHub(string? readJournalId = null) =>
        Sys.ActorOf(HubActor.GetProps(
            new HubSettings(16),
            inbox: new InboxRouting(InboxShelf.GetProps(new InboxShelfSettings(InboxSettings.Default, readJournalId, TimeSpan.FromMinutes(5))), AppendTimeout)));

    private async Task<Akka.TestKit.TestProbe> OpenReaderAsync(IActorRef hub, ulong user, bool close = false)
    {
        var reader = CreateTestProbe();
        hub.Tell(new Register(user, reader.Ref) { Resume = ResumeRequest.Parse("0", null) }, reader.Ref);
        await reader.ExpectMsgAsync<Registered>(Timeout);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        if (close)
        {
            hub.Tell(new Unregister(user, reader.Ref), reader.Ref);
            await reader.Ref.GracefulStop(Timeout);
        }

        return reader;
    }

    private async Task<Akka.TestKit.TestProbe> RegisterAsync(IActorRef hub, ulong user)
    {
        var session = CreateTestProbe();
        hub.Tell(new Register(user, session.Ref), session.Ref);
        await session.ExpectMsgAsync<Registered>(Timeout);
        return session;
    }

    private static SendToUser Send(ulong receiver, string content) =>
        new(receiver, Encoding.UTF8.GetBytes($$"""{"type":1,"receiver":{{receiver}},"content":"{{content}}","sender":{{A}}}""")) { SenderId = A };
}
