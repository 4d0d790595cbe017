using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Cluster.Broadcast;
using Akka.Relay.Cluster.Delivery;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Cluster.Hub;
using Akka.Relay.Testing.Hub;
using Xunit.Abstractions;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// The hub contract against the cluster home, for real: a one-node cluster with the sharded per-user directory,
/// the delivery courier and the broadcast topic, as a cluster node runs them.
/// </summary>
public sealed class ClusterHubContractSpec : HubContractSpec
{
    private static readonly Config ClusterConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.sharding.state-store-mode = ddata
        akka.cluster.sharding.remember-entities = off
        akka.cluster.sharding.passivate-idle-entity-after = off
        """);

    public ClusterHubContractSpec(ITestOutputHelper output)
        : base(ClusterConfig, output)
    {
    }

    /// <inheritdoc />
    protected override async Task<IActorRef> CreateHubAsync(int maxSessionsPerUser = 8)
    {
        var cluster = AkkaCluster.Get(Sys);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var courier = Sys.ActorOf(DeliveryCourier.GetProps(), DeliveryCourier.Name);
        var directorySettings = new UserDirectorySettings(maxSessionsPerUser, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        var directory = await ClusterSharding.Get(Sys).StartAsync(
            "user",
            entityId => UserEntity.GetProps(entityId, directorySettings, courier),
            ClusterShardingSettings.Create(Sys),
            new UserMessageExtractor(10));
        var mediator = DistributedPubSub.Get(Sys).Mediator;
        var publisher = Sys.ActorOf(BroadcastPublisher.GetProps(mediator));
        var hub = Sys.ActorOf(
            ClusterHubActor.GetProps(new HubSettings(maxSessionsPerUser), new ClusterHubSettings(RetryInterval: TimeSpan.FromMilliseconds(300), GiveUpTimeout: TimeSpan.FromSeconds(30)), directory, publisher),
            HubActorBase.Name);
        mediator.Tell(new Subscribe(BroadcastPublisher.Topic, hub), TestActor);
        await ExpectMsgAsync<SubscribeAck>(Timeout);
        return hub;
    }
}
