using System.Text;
using Akka.Actor;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Cluster.Hub;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>The hub of a cluster node: a TestProbe stands in for the sharded per-user directory, others for sessions and other nodes' hubs.</summary>
public sealed class ClusterHubSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMilliseconds(400);
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"sender\":1,\"type\":1,\"receiver\":2,\"content\":\"hi\"}");

    public ClusterHubSpec(ITestOutputHelper output)
        : base(output: output)
    {
    }

    [Fact]
    public async Task DeliverRouted_reaches_every_local_session_of_the_receiver_and_is_answered_to_the_SENDs_hub()
    {
        var (hub, directory) = CreateHub();
        var phone = CreateTestProbe();
        var laptop = CreateTestProbe();
        await ClaimAsync(hub, directory, 2, phone);
        await ClaimAsync(hub, directory, 2, laptop);
        var sendersHub = CreateTestProbe();

        hub.Tell(new DeliverRouted(2, Payload, 17, Hubs: 2), sendersHub.Ref);

        Assert.Same(Payload, (await phone.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        Assert.Same(Payload, (await laptop.ExpectMsgAsync<Deliver>(Timeout)).Payload);
        Assert.Equal(new SendRouted(2, 17, Delivered: true, Hubs: 2), await sendersHub.ExpectMsgAsync<SendRouted>(Timeout));
    }

    [Fact]
    public async Task DeliverRouted_for_a_user_whose_session_here_has_just_closed_answers_not_delivered()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        await ClaimAsync(hub, directory, 2, session);
        hub.Tell(new Unregister(2, session.Ref));
        await directory.ExpectMsgAsync<ReleaseSession>(Timeout);
        var sendersHub = CreateTestProbe();

        hub.Tell(new DeliverRouted(2, Payload, 17, Hubs: 1), sendersHub.Ref);

        Assert.Equal(new SendRouted(2, 17, Delivered: false, Hubs: 1), await sendersHub.ExpectMsgAsync<SendRouted>(Timeout));
        await session.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task Answers_from_different_directories_reach_the_session_in_its_SEND_order()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();

        var (first, second) = await SendTwoAsync(hub, directory, session);

        hub.Tell(new SendRouted(3, second.Sequence, Delivered: false, Hubs: 1));
        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        hub.Tell(new SendRouted(2, first.Sequence, Delivered: true, Hubs: 1));

        Assert.Equal(new SendAck(2, true), await session.ExpectMsgAsync<SendAck>(Timeout));
        Assert.Equal(new SendAck(3, false), await session.ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task A_SEND_handed_to_several_nodes_is_answered_once_all_answered_and_delivered_if_any_delivered()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        var send = await SendAsync(hub, directory, session, 2);

        // The user's session on one node has just closed; the other node's still has it.
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: false, Hubs: 3));
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: true, Hubs: 3));
        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: false, Hubs: 3));

        Assert.Equal(new SendAck(2, true), await session.ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task A_directory_silent_past_the_deadline_gets_an_unsettled_not_online_and_its_late_answer_settles_it()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        var (silent, answered) = await SendTwoAsync(hub, directory, session);
        hub.Tell(new SendRouted(3, answered.Sequence, Delivered: true, Hubs: 1));

        // At the deadline the first SEND is answered "not online" (not settled), and the one held behind it follows.
        var early = await session.ExpectMsgAsync<SendAck>(Timeout);
        Assert.Equal(new SendAck(2, false) { Settled = false }, early);
        Assert.Equal(new SendAck(3, true), await session.ExpectMsgAsync<SendAck>(Timeout));

        hub.Tell(new SendRouted(2, silent.Sequence, Delivered: true, Hubs: 1));

        await session.ExpectMsgAsync<SendSettled>(Timeout);
        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_SEND_that_never_gets_an_answer_is_settled_one_deadline_after_it_was_answered()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        await SendAsync(hub, directory, session, 2);

        Assert.Equal(new SendAck(2, false) { Settled = false }, await session.ExpectMsgAsync<SendAck>(Timeout));
        await session.ExpectMsgAsync<SendSettled>(Timeout);
    }

    private (IActorRef Hub, TestProbe Directory) CreateHub()
    {
        var directory = CreateTestProbe();
        var publisher = CreateTestProbe();
        var props = ClusterHubActor.GetProps(new HubSettings(MaxSessionsPerUser: 8), new ClusterHubSettings(AnswerTimeout), directory.Ref, publisher.Ref);
        return (Sys.ActorOf(props), directory);
    }

    /// <summary>The session SENDs to <paramref name="receiver"/>; the hub hands it to the directory.</summary>
    private static async Task<RouteSend> SendAsync(IActorRef hub, TestProbe directory, TestProbe session, ulong receiver)
    {
        hub.Tell(new SendToUser(receiver, Payload), session.Ref);
        var send = await directory.ExpectMsgAsync<RouteSend>(Timeout);
        Assert.Equal(receiver, send.Receiver);
        return send;
    }

    /// <summary>The session SENDs to users 2 and 3, in that order.</summary>
    private static async Task<(RouteSend ToTwo, RouteSend ToThree)> SendTwoAsync(IActorRef hub, TestProbe directory, TestProbe session) =>
        (await SendAsync(hub, directory, session, 2), await SendAsync(hub, directory, session, 3));

    /// <summary>Registers <paramref name="session"/> the cluster way: the hub claims it from the directory, which admits it.</summary>
    private static async Task ClaimAsync(IActorRef hub, TestProbe directory, ulong userId, TestProbe session)
    {
        hub.Tell(new Register(userId, session.Ref), session.Ref);
        Assert.Equal(new ClaimSession(userId, session.Ref), await directory.ExpectMsgAsync<ClaimSession>(Timeout));
        directory.Reply(new SessionClaimed(userId, session.Ref));
        Assert.Equal(new Registered(userId), await session.ExpectMsgAsync<Registered>(Timeout));
    }
}
