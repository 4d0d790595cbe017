using Akka.Actor;
using Akka.Relay.Actors.Directory;

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

    private readonly Dictionary<(IActorRef Hub, IActorRef AnswerTo), Batch> _batches = new();
    private bool _flushDue;

    /// <summary>Creates the courier.</summary>
    public DeliveryCourier()
    {
        Receive<CourierDelivery>(OnDelivery);
        Receive<Flush>(_ => SendAll());
    }

    /// <summary>Props for the node's courier.</summary>
    public static Props GetProps() => Props.Create<DeliveryCourier>();

    private void OnDelivery(CourierDelivery message)
    {
        // The sender is the SEND's hub, which the destination hub answers: one batch per pair of them.
        (IActorRef Hub, IActorRef AnswerTo) key = (message.Hub, Sender);
        if (!_batches.TryGetValue(key, out var batch))
        {
            batch = new Batch();
            _batches[key] = batch;
        }

        batch.Deliveries.Add(message.Delivery);
        batch.Bytes += message.Delivery.Payload.Length;
        if (batch.Bytes >= MaxBatchBytes)
        {
            _batches.Remove(key);
            key.Hub.Tell(new DeliveryBatch(batch.Deliveries), key.AnswerTo);
        }
        else if (!_flushDue)
        {
            // Queued behind everything already in the mailbox: under load a batch takes all of it.
            _flushDue = true;
            Self.Tell(Flush.Instance);
        }
    }

    private void SendAll()
    {
        _flushDue = false;
        foreach (var ((hub, answerTo), batch) in _batches)
        {
            hub.Tell(new DeliveryBatch(batch.Deliveries), answerTo);
        }

        _batches.Clear();
    }

    private sealed class Batch
    {
        public List<DeliverRouted> Deliveries { get; } = new();

        public int Bytes { get; set; }
    }

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }
}
