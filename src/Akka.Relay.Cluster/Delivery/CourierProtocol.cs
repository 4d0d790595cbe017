using Akka.Actor;
using Akka.Relay.Cluster.Directory;

namespace Akka.Relay.Cluster.Delivery;

// What a directory entity tells its node's DeliveryCourier. Local only: never serialized.

/// <summary>Carry <paramref name="Delivery"/> to <paramref name="Hub"/> (on another node) on behalf of the message's sender.</summary>
public sealed record CourierDelivery(IActorRef Hub, DeliverRouted Delivery);
