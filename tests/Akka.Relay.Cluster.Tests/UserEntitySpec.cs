using Akka.Actor;
using Akka.Relay.Cluster.Directory;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>One user's directory entity alone (a cluster provider that joins nothing): TestProbes stand in for hubs and sessions.</summary>
public sealed class UserEntitySpec : Akka.TestKit.Xunit2.TestKit
{
    private const ulong User = 2;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly UserDirectorySettings Settings = new(MaxSessionsPerUser: 8, RebuildTimeout: TimeSpan.FromSeconds(2), IdleTimeout: TimeSpan.FromMinutes(5));

    public UserEntitySpec(ITestOutputHelper output)
        : base("akka.actor.provider = cluster\nakka.remote.dot-netty.tcp.hostname = 127.0.0.1\nakka.remote.dot-netty.tcp.port = 0", output: output)
    {
    }

    [Fact]
    public async Task An_entity_restarted_mid_stream_hands_a_hubs_SENDs_on_in_order_once_the_retry_fills_the_gap()
    {
        var (receivingHub, session, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        var first = await StartAsync(receivingHub, session);
        first.Tell(new RouteSend(User, Payload(1), 1, Previous: 0), sendersHub.Ref);
        first.Tell(new RouteSend(User, Payload(2), 2, Previous: 1), sendersHub.Ref);
        Assert.Equal(new long[] { 1L, 2L }, await DeliveriesAsync(receivingHub, sendersHub, 2));

        // The shard moves: SEND 3 is dropped with the old home, SEND 4 (sent behind it) reaches the new entity first.
        await StopAsync(first);
        var second = await StartAsync(receivingHub, session);
        second.Tell(new RouteSend(User, Payload(4), 4, Previous: 3), sendersHub.Ref);
        await receivingHub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        // SEND 3's first copy, still naming SEND 2 (whose answer was in flight), cannot go yet either.
        second.Tell(new RouteSend(User, Payload(3), 3, Previous: 2), sendersHub.Ref);
        await receivingHub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        // The sending hub has had SEND 2's answer and retries SEND 3, which now names nothing before it.
        second.Tell(new RouteSend(User, Payload(3), 3, Previous: 0), sendersHub.Ref);

        Assert.Equal(new long[] { 3L, 4L }, await DeliveriesAsync(receivingHub, sendersHub, 2));
        second.Tell(new RouteSend(User, Payload(5), 5, Previous: 4), sendersHub.Ref);
        Assert.Equal(new long[] { 5L }, await DeliveriesAsync(receivingHub, sendersHub, 1));
        await sendersHub.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task A_copy_of_a_SEND_answered_not_online_is_answered_not_online_again_even_after_the_user_connected()
    {
        var (receivingHub, session, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        var entity = Sys.ActorOf(UserEntity.GetProps("2", Settings, CreateTestProbe().Ref));
        entity.Tell(new RouteSend(User, Payload(1), 1, Previous: 0), sendersHub.Ref);
        Assert.Equal(new SendRouted(User, 1, Delivered: false, Hubs: 1), await sendersHub.ExpectMsgAsync<SendRouted>(Timeout));

        entity.Tell(new ClaimSession(User, session.Ref), receivingHub.Ref);
        await receivingHub.ExpectMsgAsync<SessionClaimed>(Timeout);
        entity.Tell(new RouteSend(User, Payload(1), 1, Previous: 0), sendersHub.Ref);

        Assert.Equal(new SendRouted(User, 1, Delivered: false, Hubs: 1), await sendersHub.ExpectMsgAsync<SendRouted>(Timeout));
        await receivingHub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    private static byte[] Payload(int n) => BitConverter.GetBytes(n);

    private async Task<IActorRef> StartAsync(TestProbe receivingHub, TestProbe session)
    {
        var entity = Sys.ActorOf(UserEntity.GetProps("2", Settings, CreateTestProbe().Ref));
        entity.Tell(new ClaimSession(User, session.Ref), receivingHub.Ref);
        Assert.Equal(new SessionClaimed(User, session.Ref), await receivingHub.ExpectMsgAsync<SessionClaimed>(Timeout));
        return entity;
    }

    private async Task StopAsync(IActorRef entity)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(entity);
        Sys.Stop(entity);
        await watcher.ExpectTerminatedAsync(entity, Timeout);
    }

    /// <summary>The next <paramref name="count"/> deliveries the receiving hub gets, each on behalf of <paramref name="sendersHub"/>.</summary>
    private static async Task<long[]> DeliveriesAsync(TestProbe receivingHub, TestProbe sendersHub, int count)
    {
        var sequences = new long[count];
        for (var i = 0; i < count; i++)
        {
            var delivery = await receivingHub.ExpectMsgAsync<DeliverRouted>(Timeout);
            Assert.Equal(sendersHub.Ref, receivingHub.LastSender);
            Assert.Equal(BitConverter.GetBytes((int)delivery.Sequence), delivery.Payload);
            sequences[i] = delivery.Sequence;
        }

        return sequences;
    }
}
