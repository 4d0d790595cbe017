using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Actors.Hub;

namespace Akka.Relay.Cluster.Broadcast;

/// <summary>
/// Turns a hub's broadcast into one publication on the cluster-wide topic that every node's
/// hub subscribes to, so each node fans it out to its own sessions exactly once.
/// </summary>
public sealed class BroadcastPublisher : ReceiveActor
{
    /// <summary>The DistributedPubSub topic every hub subscribes to.</summary>
    public const string Topic = "relay-broadcast";

    /// <summary>Creates the publisher.</summary>
    public BroadcastPublisher(IActorRef mediator)
    {
        Receive<BroadcastToAll>(m => mediator.Tell(new Publish(Topic, new FanOut(m.Payload))));
        Receive<SubscribeAck>(_ => { });
    }

    /// <summary>Props for the publisher.</summary>
    public static Props GetProps(IActorRef mediator) => Akka.Actor.Props.Create(() => new BroadcastPublisher(mediator));
}
