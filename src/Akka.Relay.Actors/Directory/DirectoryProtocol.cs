using Akka.Actor;

namespace Akka.Relay.Actors.Directory;

// The messages between a node's HubActor and the per-user directory that is the single
// authority for one user id across a cluster (a sharded entity). On one node the hub is its
// own directory and none of these are sent.

/// <summary>A hub asks the directory to admit <paramref name="Session"/> as a session of <paramref name="UserId"/>; the reply goes to the hub.</summary>
public sealed record ClaimSession(ulong UserId, IActorRef Session);

/// <summary>The directory admitted the session: SENDs to its user now reach it.</summary>
public sealed record SessionClaimed(ulong UserId, IActorRef Session);

/// <summary>The directory refused the session because the user is at the session cap.</summary>
public sealed record ClaimRefused(ulong UserId, IActorRef Session, string Detail);

/// <summary>A hub tells the directory that a session no longer receives (closing or stopped).</summary>
public sealed record ReleaseSession(ulong UserId, IActorRef Session);

/// <summary>A directory that (re)started asks each hub for the live sessions of its user.</summary>
public sealed record ReportSessions(ulong UserId);

/// <summary>A hub's answer to <see cref="ReportSessions"/>: the user's sessions on that node.</summary>
public sealed record SessionsReport(ulong UserId, IReadOnlyList<IActorRef> Sessions);

/// <summary>A broadcast that arrived from the cluster-wide topic: deliver it to this node's sessions only.</summary>
public sealed record FanOut(byte[] Payload);

/// <summary>A SEND the hub hands to the receiver's directory; <paramref name="Sequence"/> lets the hub put the answers back in the session's SEND order.</summary>
public sealed record RouteSend(ulong Receiver, byte[] Payload, IActorRef Session, long Sequence);

/// <summary>The directory's answer to <see cref="RouteSend"/>: whether at least one session of the receiver got it.</summary>
public sealed record SendRouted(ulong Receiver, IActorRef Session, long Sequence, bool Delivered);
