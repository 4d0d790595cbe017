using Akka.Persistence;

namespace Akka.Relay.Server.InboxStore;

/// <summary>A persistence id's snapshots within sequence numbers and times (inclusive): what a load picks from or a delete removes.</summary>
internal sealed record SnapshotRange(string PersistenceId, long MinSequenceNr, long MaxSequenceNr, DateTime MinTimestamp, DateTime MaxTimestamp)
{
    /// <summary>The snapshots of <paramref name="persistenceId"/> that <paramref name="criteria"/> selects.</summary>
    public static SnapshotRange Of(string persistenceId, SnapshotSelectionCriteria criteria) =>
        new(persistenceId, criteria.MinSequenceNr, criteria.MaxSequenceNr, criteria.MinTimestamp ?? DateTime.MinValue, criteria.MaxTimeStamp);

    /// <summary>Exactly the snapshot <paramref name="metadata"/> names (by sequence number, whatever its time).</summary>
    public static SnapshotRange Of(SnapshotMetadata metadata) =>
        new(metadata.PersistenceId, metadata.SequenceNr, metadata.SequenceNr, DateTime.MinValue, DateTime.MaxValue);
}
