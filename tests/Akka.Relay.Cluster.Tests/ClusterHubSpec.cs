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
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
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

        var nodes = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };

        // The user's session on one node has just closed; the other node's still has it.
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: false, Hubs: 3), nodes[0].Ref);
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: true, Hubs: 3), nodes[1].Ref);
        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: false, Hubs: 3), nodes[2].Ref);

        Assert.Equal(new SendAck(2, true), await session.ExpectMsgAsync<SendAck>(Timeout));
    }

    [Fact]
    public async Task A_dropped_RouteSend_is_sent_again_and_answered_once_in_order_with_the_SENDs_behind_it()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        var dropped = await SendAsync(hub, directory, session, 2);
        var behind = await SendAsync(hub, directory, session, 2);
        var other = await SendAsync(hub, directory, session, 3);
        Assert.Equal((0L, dropped.Sequence), (dropped.Previous, behind.Previous));

        // The first copy of the first SEND was lost with a moving shard; the others were answered.
        hub.Tell(new SendRouted(2, behind.Sequence, Delivered: true, Hubs: 1));
        hub.Tell(new SendRouted(3, other.Sequence, Delivered: true, Hubs: 1));
        var retry = await directory.ExpectMsgAsync<RouteSend>(Timeout);
        Assert.Equal((2UL, dropped.Sequence, 0L), (retry.Receiver, retry.Sequence, retry.Previous));
        Assert.Same(dropped.Payload, retry.Payload);
        await session.ExpectNoMsgAsync(TimeSpan.Zero);

        hub.Tell(new SendRouted(2, retry.Sequence, Delivered: true, Hubs: 1));

        Assert.Equal(new SendAck(2, true), await session.ExpectMsgAsync<SendAck>(Timeout));
        Assert.Equal(new SendAck(2, true), await session.ExpectMsgAsync<SendAck>(Timeout));
        Assert.Equal(new SendAck(3, true), await session.ExpectMsgAsync<SendAck>(Timeout));
        // The first copy's answer arriving late changes nothing, and nothing is sent again.
        hub.Tell(new SendRouted(2, dropped.Sequence, Delivered: true, Hubs: 1));
        await session.ExpectNoMsgAsync(RetryInterval * 2);
        await directory.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task A_SEND_that_no_directory_answers_is_answered_with_an_error_at_the_ceiling_never_not_online()
    {
        var (hub, directory) = CreateHub(giveUp: TimeSpan.FromSeconds(1));
        var session = CreateTestProbe();
        await ClaimAsync(hub, directory, 1, session);
        await SendAsync(hub, directory, session, 2);

        Assert.Equal(new SendAck(2, SendOutcome.NoRoute), await session.ExpectMsgAsync<SendAck>(Timeout));
        await session.ExpectNoMsgAsync(RetryInterval * 2);
    }

    [Fact]
    public async Task SENDs_given_up_on_together_are_reported_in_one_warning_not_one_each()
    {
        var (hub, directory) = CreateHub(giveUp: TimeSpan.FromSeconds(1));
        var session = CreateTestProbe();
        await ClaimAsync(hub, directory, 1, session);
        const int count = 20;

        // A node event that leaves many SENDs unroutable says so once, with the count.
        await EventFilter.Warning(contains: "No answer from the directory").ExpectOneAsync(async () =>
        {
            for (ulong receiver = 2; receiver < 2 + count; receiver++)
            {
                hub.Tell(new SendToUser(receiver, Payload), session.Ref);
            }

            for (var i = 0; i < count; i++)
            {
                Assert.Equal(SendOutcome.NoRoute, (await session.ExpectMsgAsync<SendAck>(Timeout)).Outcome);
            }
        });
    }

    [Fact]
    public async Task A_copy_of_a_delivered_SEND_is_answered_as_the_first_but_never_delivered_twice()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        await ClaimAsync(hub, directory, 2, session);
        var (sendersHub, otherHub) = (CreateTestProbe(), CreateTestProbe());

        // The old and the new home of a moved shard both hand SEND 17 over.
        hub.Tell(new DeliverRouted(2, Payload, 17, Hubs: 1), sendersHub.Ref);
        hub.Tell(new DeliverRouted(2, Payload, 17, Hubs: 1), sendersHub.Ref);
        hub.Tell(new DeliverRouted(2, Payload, 18, Hubs: 1), sendersHub.Ref);
        hub.Tell(new DeliverRouted(2, Payload, 17, Hubs: 1), sendersHub.Ref);
        // Another hub's SEND 17 is another SEND.
        hub.Tell(new DeliverRouted(2, Payload, 17, Hubs: 1), otherHub.Ref);

        for (var i = 0; i < 3; i++)
        {
            await session.ExpectMsgAsync<Deliver>(Timeout);
        }

        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        foreach (var sequence in new[] { 17L, 17L, 18L, 17L })
        {
            Assert.Equal(new SendRouted(2, sequence, Delivered: true, Hubs: 1), await sendersHub.ExpectMsgAsync<SendRouted>(Timeout));
        }

        Assert.Equal(new SendRouted(2, 17, Delivered: true, Hubs: 1), await otherHub.ExpectMsgAsync<SendRouted>(Timeout));
    }

    [Fact]
    public async Task A_retried_SEND_handed_to_fewer_hubs_is_answered_once_the_remaining_hub_answers()
    {
        var (hub, directory) = CreateHub();
        var session = CreateTestProbe();
        var send = await SendAsync(hub, directory, session, 2);
        var nodeA = CreateTestProbe();

        // Handed to two hubs; one answers, the other's node dies with its answer. The retry reaches only the live hub.
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: true, Hubs: 2), nodeA.Ref);
        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await directory.ExpectMsgAsync<RouteSend>(Timeout);
        hub.Tell(new SendRouted(2, send.Sequence, Delivered: true, Hubs: 1), nodeA.Ref);

        Assert.Equal(new SendAck(2, true), await session.ExpectMsgAsync<SendAck>(Timeout));
        await session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    private (IActorRef Hub, TestProbe Directory) CreateHub(TimeSpan? giveUp = null)
    {
        var directory = CreateTestProbe();
        var publisher = CreateTestProbe();
        var props = ClusterHubActor.GetProps(new HubSettings(MaxSessionsPerUser: 8), new ClusterHubSettings(RetryInterval, giveUp ?? TimeSpan.FromSeconds(30)), directory.Ref, publisher.Ref);
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
