namespace Akka.Relay.Actors.Inbox;

// The events an inbox persists. The message seq is not in them: it is the count of messages stored in the epoch
// (each MessageStored, alone or in a MessagesStored), so a write that the store rejected or failed never leaves a hole
// in the numbering.

/// <summary>The inbox was created (first use, after expiry, or after its history was lost) with a new <paramref name="Epoch"/>.</summary>
public sealed record InboxOpened(string Epoch, DateTime At);

/// <summary>
/// A SEND was stored: it gets the epoch's next seq. <paramref name="ReadersLive"/> is kept so that a retry is answered
/// like the first copy, even after a restart.
/// </summary>
public sealed record MessageStored(ulong Sender, string? Mid, byte[] Payload, DateTime At, bool ReadersLive);

/// <summary>
/// The SENDs that reached the inbox while its previous write was in flight, stored as one event: a burst to one user
/// costs one event and one row, not one per message. They get consecutive seqs in this order.
/// </summary>
public sealed record MessagesStored(MessageStored[] Messages);

/// <summary>A reader opened or the last one left: the start of the idle time that expires the inbox.</summary>
public sealed record ReaderActivity(DateTime At);

/// <summary>The inbox had no reader for the idle expiry and was deleted (the tombstone a recovery ends on if the delete did not finish).</summary>
public sealed record InboxExpired(DateTime At);
