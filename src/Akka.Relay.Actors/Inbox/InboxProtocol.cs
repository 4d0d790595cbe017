using Akka.Actor;

namespace Akka.Relay.Actors.Inbox;

// The messages a user's inbox (InboxActor) exchanges with whoever routes SENDs to it and with the sessions that
// read it. Requests carry a RequestId that the answer echoes: a retry answered from what the inbox already holds
// can overtake an earlier request that is still being written.

/// <summary>
/// Stores <paramref name="Payload"/> (a SEND from <paramref name="Sender"/>, sender already stamped) in the inbox and,
/// once it is durable, hands it to the live readers; the requester gets <see cref="InboxAppended"/>,
/// <see cref="InboxAppendFailed"/> or <see cref="NoInbox"/>.
/// </summary>
public sealed record AppendToInbox(long RequestId, ulong Sender, string? Mid, byte[] Payload)
{
    /// <summary>The receiver had live sessions that do not read the inbox (version 1 sessions): the message counts as handed over.</summary>
    public bool SessionsLive { get; init; }
}

/// <summary>
/// The message is stored durably as <paramref name="Seq"/>. <paramref name="ReadersLive"/>: the inbox had a reader
/// when the message was routed (the hub answers <c>success send</c>, else <c>stored</c>). <paramref name="Duplicate"/>:
/// a retry of a message the inbox already held (same sender and mid): nothing new was stored or delivered.
/// </summary>
public sealed record InboxAppended(long RequestId, ulong Seq, bool ReadersLive, bool Duplicate);

/// <summary>The message could not be stored (store down, rejected): nothing was delivered (<c>error: inbox unavailable</c>).</summary>
public sealed record InboxAppendFailed(long RequestId, string Reason);

/// <summary>The user has no inbox (never opted in, or it expired): the SEND is answered as in protocol version 1.</summary>
public sealed record NoInbox(long RequestId);

/// <summary>
/// Opens <paramref name="Reader"/> (a session that opted in) from <paramref name="ResumeFrom"/> in <paramref name="Epoch"/>;
/// creates the inbox when the user has none. The reader then receives <see cref="InboxReaderOpened"/>, the replay as
/// <see cref="InboxDelivery"/> messages, then the live ones, in one ordered stream.
/// </summary>
public sealed record OpenInboxReader(ulong ResumeFrom, string? Epoch, IActorRef Reader);

/// <summary>
/// The header values of a resume (protocol section 9.2) and <paramref name="Header"/>, the frame that carries them;
/// <see cref="InboxDelivery"/> messages <paramref name="First"/>..<paramref name="Last"/> follow at once, then the live ones.
/// </summary>
public sealed record InboxReaderOpened(string Epoch, ulong First, ulong Last, bool Gap, byte[] Header);

/// <summary>One stored message for a reader, with <c>"seq"</c> stamped; the same instance is shared by every reader.</summary>
public sealed record InboxDelivery(ulong Seq, byte[] Payload);

/// <summary>The reader could not be opened (the store failed): the session should be refused or closed.</summary>
public sealed record InboxReaderFailed(string Reason);

/// <summary>The inbox stopped (store failure): the reader gets nothing more from it and should resume again.</summary>
public sealed record InboxReaderLost(ulong UserId);

/// <summary>Detaches <paramref name="Reader"/>; a reader that terminates is detached as well.</summary>
public sealed record CloseInboxReader(IActorRef Reader);

/// <summary>Asks for the inbox's <see cref="InboxStatus"/>.</summary>
public sealed record GetInboxStatus
{
    /// <summary>The single instance.</summary>
    public static readonly GetInboxStatus Instance = new();
}

/// <summary>
/// What the inbox holds: <paramref name="Epoch"/> null when the user has no inbox; stored messages
/// <paramref name="First"/>..<paramref name="Last"/> (<paramref name="Kept"/> of them, none when First is Last+1).
/// </summary>
public sealed record InboxStatus(string? Epoch, ulong First, ulong Last, int Kept, int Readers);
