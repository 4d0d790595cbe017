namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// The whole state of an inbox at one journal position: the messages it keeps (at most MaxMessages), so the journal
/// before that position can be deleted and a recovery reads one snapshot plus at most a snapshot interval of events.
/// </summary>
public sealed record InboxSnapshot(string? Epoch, ulong Last, DateTime LastActivity, StoredMessage[] Messages);

/// <summary>One kept message: its <paramref name="Payload"/> already carries <c>"seq":<paramref name="Seq"/></c>.</summary>
public sealed record StoredMessage(ulong Seq, ulong Sender, string? Mid, byte[] Payload, DateTime At, bool ReadersLive);
