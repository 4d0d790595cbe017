using Akka.Actor;
using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Hub;

// The hub contract: the messages a session actor exchanges with its node's hub. Both homes of the
// contract (HubActor alone, ClusterHubActor in a cluster) answer them the same way, so ClientActor
// never needs to know which one it talks to.

/// <summary>Asks the hub to register <paramref name="Session"/> as a session of <paramref name="UserId"/>.</summary>
public sealed record Register(ulong UserId, IActorRef Session)
{
    /// <summary>Whether the session opted in to the inbox (protocol 1.1) and from where it resumes; a hub with an inbox opens its reader once admitted.</summary>
    public ResumeRequest Resume { get; init; }
}

/// <summary>The session was registered and will receive what is sent to its user.</summary>
public sealed record Registered(ulong UserId);

/// <summary>Why a registration was refused.</summary>
public enum RefusalReason
{
    /// <summary>The user already holds the maximum number of sessions.</summary>
    SessionLimit,

    /// <summary>The node is draining for shutdown.</summary>
    Draining,
}

/// <summary>The session was not registered; it must not be upgraded.</summary>
public sealed record RegistrationRefused(ulong UserId, RefusalReason Reason, string Detail);

/// <summary>Removes one session; other sessions of the same user are untouched.</summary>
public sealed record Unregister(ulong UserId, IActorRef Session);

/// <summary>A SEND: deliver <paramref name="Payload"/> to every session of <paramref name="Receiver"/>, then ack the sender.</summary>
public sealed record SendToUser(ulong Receiver, byte[] Payload)
{
    /// <summary>The sending user (0 for the server API): with <see cref="Mid"/> it names a message for idempotent retries.</summary>
    public ulong SenderId { get; init; }

    /// <summary>The client's message id, when it gave one.</summary>
    public string? Mid { get; init; }
}

/// <summary>What became of a SEND, as its sender is told.</summary>
public enum SendOutcome
{
    /// <summary>No session of the receiver got it, and it has no inbox (<c>not online</c>).</summary>
    NotOnline,

    /// <summary>At least one session of the receiver got it (<c>success send</c>); with an inbox, it is stored too.</summary>
    Delivered,

    /// <summary>The receiver's inbox stored it, but no live session got it (<c>stored</c>).</summary>
    Stored,

    /// <summary>The receiver's inbox could not store it in time: nothing was delivered (<c>error: inbox unavailable</c>).</summary>
    InboxUnavailable,

    /// <summary>
    /// In a cluster, no node could route the SEND to its receiver's directory in time: neither delivered nor known to be
    /// undeliverable (<c>error: the cluster could not route the message</c>).
    /// </summary>
    NoRoute,
}

/// <summary>The answer to <see cref="SendToUser"/>.</summary>
public sealed record SendAck(ulong Receiver, SendOutcome Outcome)
{
    /// <summary>A version 1 answer: <c>success send</c> when <paramref name="delivered"/>, else <c>not online</c>.</summary>
    public SendAck(ulong receiver, bool delivered)
        : this(receiver, delivered ? SendOutcome.Delivered : SendOutcome.NotOnline)
    {
    }

    /// <summary>True when at least one session of the receiver got it.</summary>
    public bool Delivered => Outcome == SendOutcome.Delivered;
}

/// <summary>Deliver <paramref name="Payload"/> (encoded once, shared) to every session.</summary>
public sealed record BroadcastToAll(byte[] Payload);

/// <summary>One outbound message for a session; the same instance is shared by all recipients. Only a session's own node's hub sends it.</summary>
public sealed record Deliver(byte[] Payload)
{
    /// <summary>True for a broadcast's fan-out (for the metrics).</summary>
    public bool Broadcast { get; init; }
}

/// <summary>From the hub to a session: the node is shutting down, close with 1001 after what is already queued.</summary>
public sealed record GoAway
{
    /// <summary>The single instance.</summary>
    public static readonly GoAway Instance = new();
}

/// <summary>Refuse new sessions, close every session with 1001, and answer <see cref="SessionsDrained"/> once none is left.</summary>
public sealed record DrainSessions
{
    /// <summary>The single instance.</summary>
    public static readonly DrainSessions Instance = new();
}

/// <summary>Every session of this node has ended.</summary>
public sealed record SessionsDrained
{
    /// <summary>The single instance.</summary>
    public static readonly SessionsDrained Instance = new();
}

/// <summary>Asks the hub for its counts of this node's users and sessions.</summary>
public sealed record GetHubStats
{
    /// <summary>The single instance.</summary>
    public static readonly GetHubStats Instance = new();
}

/// <summary>How many users and sessions this node's hub holds.</summary>
public sealed record HubStats(int Users, int Sessions);

/// <summary>Asks this node's hub whether it routes SENDs yet (answered with <see cref="HubReadiness"/>; never sent between nodes).</summary>
public sealed record GetHubReadiness
{
    /// <summary>The single instance.</summary>
    public static readonly GetHubReadiness Instance = new();
}

/// <summary>False while the hub still waits for the store's list of users with an inbox (it holds what needs it meanwhile).</summary>
public sealed record HubReadiness(bool InboxesListed);

/// <summary>Asks the hub how many sessions <paramref name="UserId"/> holds (across the cluster, when clustered).</summary>
public sealed record GetUserSessions(ulong UserId);

/// <summary>The answer to <see cref="GetUserSessions"/>: the user's reachable sessions; 0 means not online.</summary>
public sealed record UserSessions(ulong UserId, int Sessions);

/// <summary>Asks the hub for <paramref name="UserId"/>'s inbox; answered with an <c>InboxStatus</c> (epoch null when the user has none).</summary>
public sealed record GetUserInbox(ulong UserId);
