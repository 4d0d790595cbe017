namespace Akka.Relay.Server.InboxStore;

/// <summary>Stores a snapshot (replacing one at the same sequence number), in the same transactions as the events.</summary>
internal sealed record SnapshotWrite(SnapshotRow Row) : JournalRequest
{
    /// <inheritdoc />
    public override int RowCount => 1;
}
