using Akka.Actor;
using Akka.Configuration;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Testing.Hub;

/// <summary>
/// The hub contract as a session sees it. Every home of the hub (alone on one node, or on a cluster node in front of
/// the sharded per-user directory) derives from this class, so each one must pass the same tests. TestProbes stand
/// in for ClientActors; a registration is sent by the session itself, as a ClientActor does.
/// </summary>
public abstract class HubContractSpec : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>How long a test waits for an expected message.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts the test's actor system with <paramref name="config"/> (a cluster home needs one).</summary>
    protected HubContractSpec(Config? config, ITestOutputHelper output)
        : base((config ?? ConfigurationFactory.Empty).WithFallback(SessionMailbox.Definition), output: output)
    {
    }

    /// <summary>Creates the hub under test, ready to admit sessions.</summary>
    protected abstract Task<IActorRef> CreateHubAsync(int maxSessionsPerUser = 8);

    [Fact]
    public async Task Register_is_answered_with_Registered_and_counted_in_stats()
    {
        var hub = await CreateHubAsync();
        var session = CreateTestProbe();

        hub.Tell(new Register(1, session.Ref), session.Ref);

        Assert.Equal(new Registered(1), await session.ExpectMsgAsync<Registered>(Timeout));
        Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub));
    }

    [Fact]
    public async Task Stats_count_users_and_sessions_separately()
    {
        var hub = await CreateHubAsync();
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 2, CreateTestProbe());

        Assert.Equal(new HubStats(Users: 2, Sessions: 3), await StatsAsync(hub));
    }

    [Fact]
    public async Task Registering_the_same_session_twice_is_idempotent()
    {
        var hub = await CreateHubAsync();
        var session = CreateTestProbe();
        await RegisterAsync(hub, 1, session);

        hub.Tell(new Register(1, session.Ref), session.Ref);

        await session.ExpectMsgAsync<Registered>(Timeout);
        Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub));
    }

    [Fact]
    public async Task A_SEND_reaches_every_session_of_the_receiver_with_the_same_payload_and_is_acked_delivered()
    {
        var hub = await CreateHubAsync();
        var sender = CreateTestProbe();
        var bobPhone = CreateTestProbe();
        var bobLaptop = CreateTestProbe();
        await RegisterAsync(hub, 1, sender);
        await RegisterAsync(hub, 2, bobPhone);
        await RegisterAsync(hub, 2, bobLaptop);
        var payload = "{\"sender\":1,\"type\":1,\"receiver\":2,\"content\":\"hi\"}"u8.ToArray();

        hub.Tell(new SendToUser(2, payload), sender.Ref);

        Assert.Same(payload, (await bobPhone.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        Assert.Same(payload, (await bobLaptop.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        Assert.Equal(new SendAck(2, true), await sender.ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task A_SEND_to_a_user_without_sessions_is_acked_not_delivered_and_reaches_nobody()
    {
        var hub = await CreateHubAsync();
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
    public async Task Acks_follow_the_SEND_order_across_receivers_online_and_not()
    {
        var hub = await CreateHubAsync();
        var sender = CreateTestProbe();
        await RegisterAsync(hub, 1, sender);
        await RegisterAsync(hub, 2, CreateTestProbe());
        await RegisterAsync(hub, 4, CreateTestProbe());
        ulong[] receivers = [2, 3, 4, 5, 2, 5, 4, 3];

        foreach (var receiver in receivers)
        {
            hub.Tell(new SendToUser(receiver, "{}"u8.ToArray()), sender.Ref);
        }

        foreach (var receiver in receivers)
        {
            Assert.Equal(new SendAck(receiver, receiver is 2 or 4), await sender.ExpectMsgAsync<SendAck>(Timeout));
        }
    }

    [Fact]
    public async Task SENDs_from_one_sender_to_one_receiver_arrive_in_order_and_are_acked_in_order()
    {
        const int count = 1000;
        var hub = await CreateHubAsync();
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

    [Fact]
    public async Task Register_beyond_the_per_user_cap_is_refused_with_SessionLimit()
    {
        var hub = await CreateHubAsync(maxSessionsPerUser: 2);
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());
        var third = CreateTestProbe();

        hub.Tell(new Register(1, third.Ref), third.Ref);

        var refused = await third.ExpectMsgAsync<RegistrationRefused>(Timeout);
        Assert.Equal(1UL, refused.UserId);
        Assert.Equal(RefusalReason.SessionLimit, refused.Reason);
        Assert.Equal(new HubStats(Users: 1, Sessions: 2), await StatsAsync(hub));
    }

    [Fact]
    public async Task The_per_user_cap_does_not_affect_other_users()
    {
        var hub = await CreateHubAsync(maxSessionsPerUser: 2);
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());

        await RegisterAsync(hub, 2, CreateTestProbe());
        await RegisterAsync(hub, 2, CreateTestProbe());

        Assert.Equal(new HubStats(Users: 2, Sessions: 4), await StatsAsync(hub));
    }

    [Fact]
    public async Task After_a_session_unregisters_a_capped_user_can_register_again()
    {
        var hub = await CreateHubAsync(maxSessionsPerUser: 2);
        var first = CreateTestProbe();
        await RegisterAsync(hub, 1, first);
        await RegisterAsync(hub, 1, CreateTestProbe());
        var third = CreateTestProbe();
        hub.Tell(new Register(1, third.Ref), third.Ref);
        await third.ExpectMsgAsync<RegistrationRefused>(Timeout);

        hub.Tell(new Unregister(1, first.Ref), first.Ref);
        hub.Tell(new Register(1, third.Ref), third.Ref);

        Assert.Equal(new Registered(1), await third.ExpectMsgAsync<Registered>(Timeout));
        Assert.Equal(new HubStats(Users: 1, Sessions: 2), await StatsAsync(hub));
    }

    [Fact]
    public async Task Unregistering_one_session_keeps_the_other_sessions_of_the_same_user()
    {
        var hub = await CreateHubAsync();
        var sender = CreateTestProbe();
        var a1 = CreateTestProbe();
        var a2 = CreateTestProbe();
        await RegisterAsync(hub, 1, a1);
        await RegisterAsync(hub, 1, a2);
        await RegisterAsync(hub, 9, sender);

        hub.Tell(new Unregister(1, a1.Ref), a1.Ref);
        var payload = "{\"type\":1,\"receiver\":1}"u8.ToArray();
        hub.Tell(new SendToUser(1, payload), sender.Ref);

        Assert.Same(payload, (await a2.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        Assert.Equal(new SendAck(1, true), await sender.ExpectMsgAsync<SendAck>(Timeout));
        await a1.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(new HubStats(Users: 2, Sessions: 2), await StatsAsync(hub));
    }

    [Fact]
    public async Task A_SEND_right_after_the_receivers_only_session_unregistered_is_acked_not_delivered()
    {
        var hub = await CreateHubAsync();
        var sender = CreateTestProbe();
        var receiver = CreateTestProbe();
        await RegisterAsync(hub, 1, sender);
        await RegisterAsync(hub, 2, receiver);

        // The unregister and the SEND race; the hub sees them in this order, so the SEND must not be acked delivered.
        hub.Tell(new Unregister(2, receiver.Ref), receiver.Ref);
        hub.Tell(new SendToUser(2, "{}"u8.ToArray()), sender.Ref);

        Assert.Equal(new SendAck(2, false), await sender.ExpectMsgAsync<SendAck>(Timeout));
        await receiver.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Unregistering_an_unknown_session_changes_nothing()
    {
        var hub = await CreateHubAsync();
        await RegisterAsync(hub, 1, CreateTestProbe());
        var stranger = CreateTestProbe();

        hub.Tell(new Unregister(1, stranger.Ref), stranger.Ref);

        Assert.Equal(new HubStats(Users: 1, Sessions: 1), await StatsAsync(hub));
    }

    [Fact]
    public async Task A_stopped_session_is_forgotten_through_DeathWatch()
    {
        var hub = await CreateHubAsync();
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
    public async Task A_BROADCAST_reaches_every_session_including_the_senders_own_with_one_shared_payload_and_no_ack()
    {
        var hub = await CreateHubAsync();
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
            var deliver = await session.ExpectMsgAsync<Deliver>(Timeout);
            Assert.Equal(payload, deliver.Payload);
            Assert.True(deliver.Broadcast);
        }

        await senderSession.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_drain_tells_every_session_to_go_away()
    {
        var hub = await CreateHubAsync();
        var a1 = CreateTestProbe();
        var a2 = CreateTestProbe();
        var b = CreateTestProbe();
        await RegisterAsync(hub, 1, a1);
        await RegisterAsync(hub, 1, a2);
        await RegisterAsync(hub, 2, b);

        hub.Tell(DrainSessions.Instance, TestActor);

        foreach (var session in new[] { a1, a2, b })
        {
            await session.ExpectMsgAsync<GoAway>(Timeout);
        }
    }

    [Fact]
    public async Task Register_while_draining_is_refused_with_Draining()
    {
        var hub = await CreateHubAsync();
        await RegisterAsync(hub, 1, CreateTestProbe());
        hub.Tell(DrainSessions.Instance, TestActor);
        var late = CreateTestProbe();

        hub.Tell(new Register(2, late.Ref), late.Ref);

        var refused = await late.ExpectMsgAsync<RegistrationRefused>(Timeout);
        Assert.Equal(2UL, refused.UserId);
        Assert.Equal(RefusalReason.Draining, refused.Reason);
        // The refused session was never routed; the drained one was unrouted when its close was decided.
        Assert.Equal(new HubStats(Users: 0, Sessions: 0), await StatsAsync(hub));
    }

    [Fact]
    public async Task SessionsDrained_is_answered_only_once_every_session_is_gone()
    {
        var hub = await CreateHubAsync();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        await RegisterAsync(hub, 1, a);
        await RegisterAsync(hub, 2, b);

        hub.Tell(DrainSessions.Instance, TestActor);
        await a.ExpectMsgAsync<GoAway>(Timeout);
        await b.ExpectMsgAsync<GoAway>(Timeout);
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
        var hub = await CreateHubAsync();
        var a = CreateTestProbe();
        await RegisterAsync(hub, 1, a);
        hub.Tell(DrainSessions.Instance, TestActor);
        await a.ExpectMsgAsync<GoAway>(Timeout);

        hub.Tell(new Unregister(1, a.Ref), a.Ref);
        hub.Tell(GetHubStats.Instance, TestActor);

        // Unrouted at once, yet no SessionsDrained before this reply.
        Assert.Equal(new HubStats(Users: 0, Sessions: 0), await ExpectMsgAsync<HubStats>(Timeout));
        Sys.Stop(a.Ref);
        await ExpectMsgAsync<SessionsDrained>(Timeout);
    }

    [Fact]
    public async Task SessionsDrained_is_answered_at_once_when_there_are_no_sessions()
    {
        var hub = await CreateHubAsync();

        hub.Tell(DrainSessions.Instance, TestActor);

        await ExpectMsgAsync<SessionsDrained>(Timeout);
    }

    [Fact]
    public async Task GetUserSessions_counts_a_users_sessions_and_zero_for_a_user_without_any()
    {
        var hub = await CreateHubAsync();
        await RegisterAsync(hub, 1, CreateTestProbe());
        await RegisterAsync(hub, 1, CreateTestProbe());

        Assert.Equal(new UserSessions(1, 2), await hub.Ask<UserSessions>(new GetUserSessions(1), Timeout));
        Assert.Equal(new UserSessions(2, 0), await hub.Ask<UserSessions>(new GetUserSessions(2), Timeout));
    }

    /// <summary>Registers <paramref name="session"/> as a session of <paramref name="userId"/>, sent by the session as a ClientActor does.</summary>
    protected static async Task RegisterAsync(IActorRef hub, ulong userId, TestProbe session)
    {
        hub.Tell(new Register(userId, session.Ref), session.Ref);
        Assert.Equal(new Registered(userId), await session.ExpectMsgAsync<Registered>(Timeout));
    }

    /// <summary>The hub's counts of this node's users and sessions.</summary>
    protected static Task<HubStats> StatsAsync(IActorRef hub) => hub.Ask<HubStats>(GetHubStats.Instance, Timeout);
}
