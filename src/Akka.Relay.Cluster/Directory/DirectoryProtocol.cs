using Akka.Actor;
using Akka.Relay.Protocol;

namespace Akka.Relay.Cluster.Directory;

// The messages between a node's ClusterHubActor and the per-user directory that is the single
// authority for one user id across a cluster (a sharded entity). On one node the hub is its
// own directory and none of these are sent.

/// <summary>A hub asks the directory to admit <paramref name="Session"/> as a session of <paramref name="UserId"/>; the reply goes to the hub.</summary>
public sealed record ClaimSession(ulong UserId, IActorRef Session)
{
    /// <summary>When it opts in (protocol 1.1), the directory opens the session as a reader of the user's inbox once admitted.</summary>
    public ResumeRequest Resume { get; init; }
}

/// <summary>The directory admitted the session: SENDs to its user now reach it.</summary>
public sealed record SessionClaimed(ulong UserId, IActorRef Session);

/// <summary>The directory refused the session because the user is at the session cap.</summary>
public sealed record ClaimRefused(ulong UserId, IActorRef Session, string Detail);

/// <summary>A hub tells the directory that a session no longer receives (closing or stopped).</summary>
public sealed record ReleaseSession(ulong UserId, IActorRef Session);

/// <summary>A directory that (re)started asks each hub for the live sessions of its user.</summary>
public sealed record ReportSessions(ulong UserId);

/// <summary>A hub's answer to <see cref="ReportSessions"/>: the user's sessions on that node.</summary>
public sealed record SessionsReport(ulong UserId, IReadOnlyList<IActorRef> Sessions)
{
    /// <summary>Those of <see cref="Sessions"/> that read the user's inbox.</summary>
    public IReadOnlyList<IActorRef> Readers { get; init; } = [];

    /// <summary>Whether the hub's node knows the user to hold an inbox (listed from the store at start, or announced since).</summary>
    public bool HasInbox { get; init; }
}

/// <summary>
/// From a directory entity to every node's hub: <paramref name="UserId"/> now holds an inbox (or no longer does), so a
/// later entity of the user, wherever it starts, learns it from the hubs' reports without asking the store.
/// </summary>
public sealed record InboxKnown(ulong UserId, bool Exists);

/// <summary>A broadcast that arrived from the cluster-wide topic: deliver it to this node's sessions only.</summary>
public sealed record FanOut(byte[] Payload);

/// <summary>
/// A SEND the hub hands to the receiver's directory, again after each retry interval until it is answered. The
/// answer (<see cref="SendRouted"/>) goes to the message's sender, the hub.
/// </summary>
/// <param name="Receiver">The user the SEND is for.</param>
/// <param name="Payload">The message as the receiver reads it.</param>
/// <param name="Sequence">The SEND's number at its hub (increasing, never reused by that hub): tells the hub which SEND is answered, and receiving hubs which copies they already delivered.</param>
/// <param name="Previous">The sending hub's last earlier SEND to the same receiver that was still unanswered when this copy left, or 0: the directory delivers this one only after that one.</param>
public sealed record RouteSend(ulong Receiver, byte[] Payload, long Sequence, long Previous)
{
    /// <summary>The sending user (0 for the server API): with <see cref="Mid"/> it names the message in the receiver's inbox.</summary>
    public ulong SenderId { get; init; }

    /// <summary>The client's message id, when it gave one.</summary>
    public string? Mid { get; init; }
}

/// <summary>
/// From a directory to the hub of a node that holds sessions of <paramref name="Receiver"/>: deliver to them,
/// then answer the SEND's hub (the message's sender) with <see cref="SendRouted"/>. The answer trails the
/// delivery across the network, so a sender waiting for answers cannot get ahead of what the network carries.
/// </summary>
/// <param name="Receiver">The user whose sessions on this node get it.</param>
/// <param name="Payload">The message as the receiver reads it.</param>
/// <param name="Sequence">The SEND's number at its hub, carried back in the answer.</param>
/// <param name="Hubs">How many hubs the directory handed this SEND to; the SEND's hub waits for all their answers.</param>
public sealed record DeliverRouted(ulong Receiver, byte[] Payload, long Sequence, int Hubs);

/// <summary>
/// An answer to a <see cref="RouteSend"/>: whether a session of the receiver got it on the answering node. The
/// SEND is delivered if any of the <paramref name="Hubs"/> answers says so (the directory itself answers 1 of 1
/// when the receiver has no reachable session).
/// </summary>
public sealed record SendRouted(ulong Receiver, long Sequence, bool Delivered, int Hubs)
{
    /// <summary>The receiver's inbox stored the message durably (from the directory, which holds the inbox).</summary>
    public bool Stored { get; init; }

    /// <summary>The receiver's inbox could not store it: nothing was delivered (<c>error: inbox unavailable</c>).</summary>
    public bool InboxUnavailable { get; init; }
}

/// <summary>
/// Deliveries for one hub sent as one remote message (by a node's delivery courier); the message's sender is
/// the hub that gets the confirming answers.
/// </summary>
public sealed record DeliveryBatch(IReadOnlyList<DeliverRouted> Deliveries);

/// <summary>Answers for one hub sent as one remote message.</summary>
public sealed record AnswerBatch(IReadOnlyList<SendRouted> Answers);
