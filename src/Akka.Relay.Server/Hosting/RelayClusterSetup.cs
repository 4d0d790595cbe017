using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Cluster.Broadcast;
using Akka.Relay.Cluster.Delivery;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Cluster.Hub;
using Akka.Relay.Cluster.Membership;
using Akka.Relay.Cluster.Serialization;
using Akka.Relay.Server.Options;
using Akka.Remote.Hosting;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Server.Hosting;

/// <summary>Akka.Hosting wiring of a cluster node: remoting, membership, the sharded per-user directory, broadcast pub-sub.</summary>
public static class RelayClusterSetup
{
    /// <summary>The sharding type name of the per-user directory entities.</summary>
    public const string DirectoryTypeName = "user";

    /// <summary>How often the directory's rebuild warnings of many entities are written as one line.</summary>
    private static readonly TimeSpan RebuildWarningInterval = TimeSpan.FromSeconds(10);

    /// <summary>Adds everything a clustered relay node runs, and its hub.</summary>
    /// <remarks>With <paramref name="inbox"/> enabled, each user's directory entity keeps the user's inbox (on the store that <see cref="RelayInboxSetup"/> configured).</remarks>
    public static AkkaConfigurationBuilder WithRelayCluster(this AkkaConfigurationBuilder akka, RelayClusterOptions cluster, RelayOptions relay, HubSettings hubSettings, RelayInboxOptions inbox, RelayMetrics? metrics = null)
    {
        var directorySettings = new UserDirectorySettings(relay.MaxSessionsPerUser, cluster.DirectoryRebuildTimeout, cluster.DirectoryIdleTimeout)
        {
            Inbox = inbox.Enabled ? new DirectoryInboxSettings(inbox.ToSettings(), inbox.AppendTimeout) : null,
        };
        var hubClusterSettings = new ClusterHubSettings(cluster.SendRetryInterval, cluster.SendGiveUpTimeout)
        {
            InboxReadJournalId = inbox.Enabled ? RelayInboxSetup.ReadJournalId : null,
        };
        return akka
            .AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "cluster.hocon"), HoconAddMode.Append)
            .WithRemoting(new RemoteOptions
            {
                HostName = cluster.Hostname,
                Port = cluster.Port,
                PublicHostName = cluster.PublicHostname,
            })
            .WithClustering(new ClusterOptions { SeedNodes = cluster.SeedNodes, MinimumNumberOfMembers = cluster.MinMembers })
            .WithCustomSerializer("relay", RelayMessageSerializer.MessageTypes, system => new RelayMessageSerializer(system))
            // The courier exists before the directory's entities, which hand it their deliveries to other nodes;
            // the logs too, so that the first membership event and entity rebuild are written.
            .WithActors((system, registry) =>
            {
                registry.Register<DeliveryCourier>(system.ActorOf(DeliveryCourier.GetProps(), DeliveryCourier.Name));
                system.ActorOf(ClusterEventLog.GetProps(), ClusterEventLog.Name);
                system.ActorOf(RebuildWarningLog.GetProps(RebuildWarningInterval), RebuildWarningLog.Name);
            })
            .WithShardRegion<UserEntity>(
                DirectoryTypeName,
                (_, registry) =>
                {
                    var courier = registry.Get<DeliveryCourier>();
                    return entityId => UserEntity.GetProps(entityId, directorySettings, courier, metrics);
                },
                new UserMessageExtractor(cluster.ShardCount),
                new ShardOptions
                {
                    StateStoreMode = Akka.Cluster.Sharding.StateStoreMode.DData,
                    RememberEntities = false,
                    // Entities hold live sessions: they passivate themselves once idle, never while in use.
                    ShouldPassivateIdleEntities = false,
                })
            .WithDistributedPubSub(null!)
            .WithActors((system, registry) =>
            {
                if (cluster.FormNewCluster)
                {
                    // Asked for explicitly (the validator refuses a clustered node with neither seeds nor this setting).
                    var self = AkkaCluster.Get(system);
                    self.Join(self.SelfAddress);
                }

                var mediator = DistributedPubSub.Get(system).Mediator;
                var publisher = system.ActorOf(BroadcastPublisher.GetProps(mediator), "broadcast-publisher");
                var directory = registry.Get<UserEntity>();
                var hub = system.ActorOf(
                    ClusterHubActor.GetProps(hubSettings, hubClusterSettings, directory, publisher, metrics),
                    HubActorBase.Name);
                // The publisher gets the acknowledgement; every node's hub receives each FanOut once.
                mediator.Tell(new Subscribe(BroadcastPublisher.Topic, hub), publisher);
                registry.Register<HubActorBase>(hub);
            });
    }
}
