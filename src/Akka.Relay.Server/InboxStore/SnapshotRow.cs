namespace Akka.Relay.Server.InboxStore;

/// <summary>One stored snapshot: whose, at which sequence number and when, and the snapshot as Akka serialization wrote it.</summary>
internal sealed record SnapshotRow(string PersistenceId, long SequenceNr, DateTime Timestamp, int SerializerId, string Manifest, byte[] Payload);
