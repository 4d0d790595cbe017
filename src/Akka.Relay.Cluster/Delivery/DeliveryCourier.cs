using Akka.Actor;
using Akka.Relay.Cluster.Directory;

namespace Akka.Relay.Cluster.Delivery;

/// <summary>
/// Carries this node's directory entities' deliveries to other nodes' hubs, many per remote message: what
/// arrives while it works through its mailbox leaves as one <see cref="DeliveryBatch"/> per destination hub.
/// </summary>
/// <remarks>
/// A remote message costs tens of microseconds however small it is; a SEND is a hundred bytes or so. Batching
/// adds no timer and no wait: an idle courier sends a delivery at once, a busy one sends bigger batches.
/// Deliveries to one hub keep their order, so per-pair FIFO holds.
/// </remarks>
public sealed class DeliveryCourier : ReceiveActor
{
    /// <summary>The courier's name under /user.</summary>
    public const string Name = "delivery-courier";

    // Kept well below Akka.Remote's maximum frame size (128,000 bytes by default).
    private const int MaxBatchBytes = 32 * 1024;

    private readonly OutgoingBatches<(IActorRef Hub, IActorRef AnswerTo), DeliverRouted> _batches = new(MaxBatchBytes);

    /// <summary>Creates the courier.</summary>
    public DeliveryCourier()
    {
        Receive<CourierDelivery>(OnDelivery);
        Receive<Flush>(_ => _batches.Flush(Send));
    }

    /// <summary>Props for the node's courier.</summary>
    public static Props GetProps() => Props.Create<DeliveryCourier>();

    private void OnDelivery(CourierDelivery message)
    {
        // The sender is the SEND's hub, which the destination hub answers: one batch per pair of them.
        if (_batches.Add((message.Hub, Sender), message.Delivery, message.Delivery.Payload.Length, Send))
        {
            Self.Tell(Flush.Instance);
        }
    }

    private static void Send((IActorRef Hub, IActorRef AnswerTo) destination, List<DeliverRouted> deliveries) =>
        destination.Hub.Tell(new DeliveryBatch(deliveries), destination.AnswerTo);

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }
}
