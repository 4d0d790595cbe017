namespace Akka.Relay.Server.InboxStore;

/// <summary>One stored event: its persistence id and sequence number, and the event as Akka serialization wrote it.</summary>
internal sealed record JournalRow(string PersistenceId, long SequenceNr, int SerializerId, string Manifest, byte[] Payload);
