using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Cluster.Membership;

/// <summary>
/// One log line per membership event, at its level: a member lost or downed is a warning, a member joining, leaving
/// as asked or coming back is information. Operators read the event here instead of in remoting's repeated retries.
/// </summary>
public sealed class ClusterEventLog : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "cluster-event-log";

    private readonly AkkaCluster _cluster = AkkaCluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Creates the log.</summary>
    public ClusterEventLog()
    {
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ClusterEvent.MemberJoined>(e => _log.Info("Cluster member {0} joined", e.Member.Address));
        Receive<ClusterEvent.MemberUp>(e => _log.Info("Cluster member {0} is up", e.Member.Address));
        Receive<ClusterEvent.MemberLeft>(e => _log.Info("Cluster member {0} is leaving", e.Member.Address));
        Receive<ClusterEvent.UnreachableMember>(e => _log.Warning("Cluster member {0} is unreachable", e.Member.Address));
        Receive<ClusterEvent.ReachableMember>(e => _log.Info("Cluster member {0} is reachable again", e.Member.Address));
        Receive<ClusterEvent.MemberDowned>(e => _log.Warning("Cluster member {0} was downed; its shards move to the other members", e.Member.Address));
        // Removal after a leave is the normal end; after a down the warning was already written.
        Receive<ClusterEvent.MemberRemoved>(e => _log.Info("Cluster member {0} was removed (it was {1})", e.Member.Address, e.PreviousStatus));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
    }

    /// <summary>Props for the log.</summary>
    public static Props GetProps() => Akka.Actor.Props.Create(() => new ClusterEventLog());

    /// <inheritdoc />
    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    /// <inheritdoc />
    protected override void PostStop() => _cluster.Unsubscribe(Self);
}
