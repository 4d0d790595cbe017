namespace Akka.Relay.Cluster.Delivery;

/// <summary>
/// Messages bound for other nodes, gathered per destination while an actor works through its mailbox and sent as
/// one remote message each (a remote message costs far more than the few bytes of one SEND or answer).
/// </summary>
/// <remarks>
/// No timer and no wait: when <see cref="Add"/> asks for it, the owner tells itself a flush message, which queues
/// behind everything already in its mailbox, and <see cref="Flush"/> then sends whatever piled up meanwhile. An
/// idle actor sends at once, a busy one bigger batches. Items for one destination keep their order.
/// </remarks>
/// <typeparam name="TDestination">Where a batch goes.</typeparam>
/// <typeparam name="TItem">What a batch carries.</typeparam>
/// <param name="maxWeight">A batch that reaches this weight is sent at once (keeps it below Akka.Remote's frame size).</param>
public sealed class OutgoingBatches<TDestination, TItem>(int maxWeight)
    where TDestination : notnull
{
    private readonly Dictionary<TDestination, Batch> _batches = new();
    private bool _flushDue;

    /// <summary>
    /// Adds <paramref name="item"/> for <paramref name="destination"/>; a batch that reaches the limit goes to
    /// <paramref name="send"/> at once. True when the owner must tell itself to flush.
    /// </summary>
    public bool Add(TDestination destination, TItem item, int weight, Action<TDestination, List<TItem>> send)
    {
        if (!_batches.TryGetValue(destination, out var batch))
        {
            batch = new Batch();
            _batches[destination] = batch;
        }

        batch.Items.Add(item);
        batch.Weight += weight;
        if (batch.Weight >= maxWeight)
        {
            _batches.Remove(destination);
            send(destination, batch.Items);
            return false;
        }

        if (_flushDue)
        {
            return false;
        }

        _flushDue = true;
        return true;
    }

    /// <summary>Hands every gathered batch to <paramref name="send"/>.</summary>
    public void Flush(Action<TDestination, List<TItem>> send)
    {
        _flushDue = false;
        foreach (var (destination, batch) in _batches)
        {
            send(destination, batch.Items);
        }

        _batches.Clear();
    }

    private sealed class Batch
    {
        public List<TItem> Items { get; } = new();

        public int Weight { get; set; }
    }
}
