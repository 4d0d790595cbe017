namespace Akka.Relay.Server.InboxStore;

/// <summary>Deletes the snapshots in <paramref name="Range"/>, in the same transactions as the events.</summary>
internal sealed record SnapshotDelete(SnapshotRange Range) : JournalRequest
{
    /// <inheritdoc />
    public override int RowCount => 1;
}
