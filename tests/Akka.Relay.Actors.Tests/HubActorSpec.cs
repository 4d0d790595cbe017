using System.Text;
using Akka.Actor;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests;

/// <summary>The hub as a session directory: TestProbes stand in for ClientActors.</summary>
public sealed class HubActorSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public HubActorSpec(ITestOutputHelper output)
        : base(output: output)
    {
    }

    [Fact]
    public async Task Register_is_answered_with_Registered_and_counted_in_stats()
    {
        var hub = CreateHub();
        var session = CreateTestProbe();

        hub.Tell(new Register(1, session.Ref), TestActor);

        var registered = await ExpectMsgAsync<Registered>(Timeout);
        Assert.Equal(1UL, registered.UserId);
        Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub));
    }

    [Fact]
    public async Task Stats_count_users_and_sessions_separately()
    {
        var hub = CreateHub();
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 2, CreateTestProbe());

        Assert.Equal(new HubStats(Users: 2, Sessions: 3), await StatsAsync(hub));
    }

    [Fact]
    public async Task Registering_the_same_session_twice_is_idempotent()
    {
        var hub = CreateHub();
        var session = CreateTestProbe();
        await RegisterAsync(hub, 1, session);

        hub.Tell(new Register(1, session.Ref), TestActor);

        await ExpectMsgAsync<Registered>(Timeout);
        Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub));
    }

    [Fact]
    public async Task SendToUser_delivers_the_same_payload_to_every_session_of_the_receiver_and_acks_true()
    {
        var hub = CreateHub();
        var sender = CreateTestProbe();
        var bobPhone = CreateTestProbe();
        var bobLaptop = CreateTestProbe();
        await RegisterAsync(hub, 1, sender);
        await RegisterAsync(hub, 2, bobPhone);
        await RegisterAsync(hub, 2, bobLaptop);
        var payload = Encoding.UTF8.GetBytes("{\"sender\":1,\"type\":1,\"receiver\":2,\"content\":\"hi\"}");

        hub.Tell(new SendToUser(2, payload), sender.Ref);

        var toPhone = await bobPhone.ExpectMsgAsync<Deliver>(Timeout);
        var toLaptop = await bobLaptop.ExpectMsgAsync<Deliver>(Timeout);
        Assert.Same(payload, toPhone.Payload);
        Assert.Same(payload, toLaptop.Payload);
        Assert.Equal(new SendAck(2, true), await sender.ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task SendToUser_to_a_user_without_sessions_acks_false_and_delivers_nothing()
    {
        var hub = CreateHub();
        var sender = CreateTestProbe();
        var other = CreateTestProbe();
        await RegisterAsync(hub, 1, sender);
        await RegisterAsync(hub, 3, other);

        hub.Tell(new SendToUser(2, "{}"u8.ToArray()), sender.Ref);

        Assert.Equal(new SendAck(2, false), await sender.ExpectMsgAsync<SendAck>(Timeout));
        await other.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await sender.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task Register_beyond_the_per_user_cap_is_refused_with_SessionLimit()
    {
        var hub = CreateHub(maxSessionsPerUser: 2);
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());

        hub.Tell(new Register(1, CreateTestProbe().Ref), TestActor);

        var refused = await ExpectMsgAsync<RegistrationRefused>(Timeout);
        Assert.Equal(1UL, refused.UserId);
        Assert.Equal(RefusalReason.SessionLimit, refused.Reason);
        Assert.Equal(new HubStats(Users: 1, Sessions: 2), await StatsAsync(hub));
    }

    [Fact]
    public async Task Per_user_cap_does_not_affect_other_users()
    {
        var hub = CreateHub(maxSessionsPerUser: 2);
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());

        await RegisterAsync(hub, 2, CreateTestProbe());
        await RegisterAsync(hub, 2, CreateTestProbe());

        Assert.Equal(new HubStats(Users: 2, Sessions: 4), await StatsAsync(hub));
    }

    [Fact]
    public async Task After_a_session_unregisters_a_capped_user_can_register_again()
    {
        var hub = CreateHub(maxSessionsPerUser: 2);
        var first = CreateTestProbe();
        await RegisterAsync(hub, 1, first);
        await RegisterAsync(hub, 1, CreateTestProbe());
        var third = CreateTestProbe();
        hub.Tell(new Register(1, third.Ref), TestActor);
        await ExpectMsgAsync<RegistrationRefused>(Timeout);

        hub.Tell(new Unregister(1, first.Ref), TestActor);
        hub.Tell(new Register(1, third.Ref), TestActor);

        Assert.Equal(1UL, (await ExpectMsgAsync<Registered>(Timeout)).UserId);
        Assert.Equal(new HubStats(Users: 1, Sessions: 2), await StatsAsync(hub));
    }

    [Fact]
    public async Task Unregistering_one_session_keeps_the_other_sessions_of_the_same_user()
    {
        var hub = CreateHub();
        var sender = CreateTestProbe();
        var a1 = CreateTestProbe();
        var a2 = CreateTestProbe();
        await RegisterAsync(hub, 1, a1);
        await RegisterAsync(hub, 1, a2);
        await RegisterAsync(hub, 9, sender);

        hub.Tell(new Unregister(1, a1.Ref), TestActor);
        var payload = "{\"type\":1,\"receiver\":1}"u8.ToArray();
        hub.Tell(new SendToUser(1, payload), sender.Ref);

        Assert.Same(payload, (await a2.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        Assert.Equal(new SendAck(1, true), await sender.ExpectMsgAsync<SendAck>(Timeout));
        await a1.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(new HubStats(Users: 2, Sessions: 2), await StatsAsync(hub));
    }

    [Fact]
    public async Task Unregistering_an_unknown_session_changes_nothing()
    {
        var hub = CreateHub();
        var session = CreateTestProbe();
        await RegisterAsync(hub, 1, session);

        hub.Tell(new Unregister(1, CreateTestProbe().Ref), TestActor);

        Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub));
    }

    [Fact]
    public async Task A_stopped_session_is_forgotten_through_DeathWatch()
    {
        var hub = CreateHub();
        var sender = CreateTestProbe();
        var session = CreateTestProbe();
        await RegisterAsync(hub, 1, session);
        await RegisterAsync(hub, 2, sender);

        Sys.Stop(session.Ref);

        await AwaitAssertAsync(
            async () => Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub)),
            Timeout,
            TimeSpan.FromMilliseconds(20));
        hub.Tell(new SendToUser(1, "{}"u8.ToArray()), sender.Ref);
        Assert.Equal(new SendAck(1, false), await sender.ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task A_stopped_real_actor_session_is_forgotten_through_DeathWatch()
    {
        var hub = CreateHub();
        var session = Sys.ActorOf(Props.Create(() => new Idle()));
        await RegisterAsync(hub, 1, session);
        Watch(session);

        Sys.Stop(session);
        await ExpectTerminatedAsync(session, Timeout);

        await AwaitAssertAsync(
            async () => Assert.Equal(new HubStats(Users: 0, Sessions: 0), await StatsAsync(hub)),
            Timeout,
            TimeSpan.FromMilliseconds(20));
        hub.Tell(new SendToUser(1, "{}"u8.ToArray()), TestActor);
        Assert.Equal(new SendAck(1, false), await ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task BroadcastToAll_reaches_every_session_including_the_senders_own_with_one_shared_payload()
    {
        var hub = CreateHub();
        var senderSession = CreateTestProbe();
        var senderOtherSession = CreateTestProbe();
        var bob = CreateTestProbe();
        var carol = CreateTestProbe();
        await RegisterAsync(hub, 1, senderSession);
        await RegisterAsync(hub, 1, senderOtherSession);
        await RegisterAsync(hub, 2, bob);
        await RegisterAsync(hub, 3, carol);
        var payload = "{\"sender\":1,\"type\":3,\"content\":\"all\"}"u8.ToArray();

        hub.Tell(new BroadcastToAll(payload), senderSession.Ref);

        foreach (var session in new[] { senderSession, senderOtherSession, bob, carol })
        {
            Assert.Same(payload, (await session.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        }

        // A broadcast is not acked: the sender's session only got the broadcast itself.
        await senderSession.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task DrainSessions_tells_every_session_to_close_with_GoingAway()
    {
        var hub = CreateHub();
        var a1 = CreateTestProbe();
        var a2 = CreateTestProbe();
        var b = CreateTestProbe();
        await RegisterAsync(hub, 1, a1);
        await RegisterAsync(hub, 1, a2);
        await RegisterAsync(hub, 2, b);

        hub.Tell(DrainSessions.Instance, TestActor);

        foreach (var session in new[] { a1, a2, b })
        {
            Assert.Same(CloseSession.GoingAway, await session.ExpectMsgAsync<CloseSession>(Timeout));
        }
    }

    [Fact]
    public async Task Register_while_draining_is_refused_with_Draining()
    {
        var hub = CreateHub();
        await RegisterAsync(hub, 1, CreateTestProbe());
        hub.Tell(DrainSessions.Instance, TestActor);

        hub.Tell(new Register(2, CreateTestProbe().Ref), TestActor);

        var refused = await ExpectMsgAsync<RegistrationRefused>(Timeout);
        Assert.Equal(2UL, refused.UserId);
        Assert.Equal(RefusalReason.Draining, refused.Reason);
        // The refused session was never routed; the drained one was unrouted when its close was decided.
        Assert.Equal(new HubStats(Users: 0, Sessions: 0), await StatsAsync(hub));
    }

    [Fact]
    public async Task SessionsDrained_is_answered_only_once_every_session_is_gone()
    {
        var hub = CreateHub();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        await RegisterAsync(hub, 1, a);
        await RegisterAsync(hub, 2, b);

        hub.Tell(DrainSessions.Instance, TestActor);
        await a.ExpectMsgAsync<CloseSession>(Timeout);
        await b.ExpectMsgAsync<CloseSession>(Timeout);
        // Closing sessions no longer receive: they are unrouted as soon as their close is decided.
        Assert.Equal(new HubStats(Users: 0, Sessions: 0), await StatsAsync(hub));
        Watch(a.Ref);
        Sys.Stop(a.Ref);
        await ExpectTerminatedAsync(a.Ref, Timeout);

        // Had the hub answered early, SessionsDrained would already sit before this reply.
        hub.Tell(GetHubStats.Instance, TestActor);
        await ExpectMsgAsync<HubStats>(Timeout);

        Sys.Stop(b.Ref);
        await ExpectMsgAsync<SessionsDrained>(Timeout);
    }

    [Fact]
    public async Task SessionsDrained_waits_for_an_unregistered_session_to_stop()
    {
        // A closing session unregisters at once but still writes its pending messages and
        // close frame: the drain is only done when the session actor has really stopped.
        var hub = CreateHub();
        var a = CreateTestProbe();
        await RegisterAsync(hub, 1, a);
        hub.Tell(DrainSessions.Instance, TestActor);
        await a.ExpectMsgAsync<CloseSession>(Timeout);

        hub.Tell(new Unregister(1, a.Ref), TestActor);
        hub.Tell(GetHubStats.Instance, TestActor);

        // Unrouted at once, yet no SessionsDrained before this reply.
        Assert.Equal(new HubStats(Users: 0, Sessions: 0), await ExpectMsgAsync<HubStats>(Timeout));
        Sys.Stop(a.Ref);
        await ExpectMsgAsync<SessionsDrained>(Timeout);
    }

    [Fact]
    public async Task SessionsDrained_is_answered_at_once_when_there_are_no_sessions()
    {
        var hub = CreateHub();

        hub.Tell(DrainSessions.Instance, TestActor);

        await ExpectMsgAsync<SessionsDrained>(Timeout);
    }

    [Fact]
    public async Task SendToUser_from_one_sender_to_one_receiver_arrives_in_order()
    {
        const int count = 1000;
        var hub = CreateHub();
        var sender = CreateTestProbe();
        var receiver = CreateTestProbe();
        await RegisterAsync(hub, 1, sender);
        await RegisterAsync(hub, 2, receiver);

        for (var i = 0; i < count; i++)
        {
            hub.Tell(new SendToUser(2, BitConverter.GetBytes(i)), sender.Ref);
        }

        for (var i = 0; i < count; i++)
        {
            var deliver = await receiver.ExpectMsgAsync<Deliver>(Timeout);
            Assert.Equal(i, BitConverter.ToInt32(deliver.Payload));
        }

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(new SendAck(2, true), await sender.ExpectMsgAsync<SendAck>(Timeout));
        }
    }

    private IActorRef CreateHub(int maxSessionsPerUser = 8) =>
        Sys.ActorOf(HubActor.GetProps(new HubSettings(maxSessionsPerUser)));

    private async Task RegisterAsync(IActorRef hub, ulong userId, TestProbe session) =>
        await RegisterAsync(hub, userId, session.Ref);

    private async Task RegisterAsync(IActorRef hub, ulong userId, IActorRef session)
    {
        hub.Tell(new Register(userId, session), TestActor);
        var registered = await ExpectMsgAsync<Registered>(Timeout);
        Assert.Equal(userId, registered.UserId);
    }

    private static Task<HubStats> StatsAsync(IActorRef hub) => hub.Ask<HubStats>(GetHubStats.Instance, Timeout);

    private sealed class Idle : ReceiveActor
    {
        public Idle() => ReceiveAny(_ => { });
    }
}
