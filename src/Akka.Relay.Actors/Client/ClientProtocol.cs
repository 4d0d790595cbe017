using System.Net.WebSockets;

namespace Akka.Relay.Actors.Client;

// Messages a ClientActor receives from the hosting layer, from its own socket pumps
// (always as messages to Self) and from the hub.

/// <summary>The WebSocket upgrade succeeded: start the read and write pumps on <paramref name="Socket"/>.</summary>
public sealed record AttachSocket(WebSocket Socket);

/// <summary>The upgrade did not happen (the client went away first): stop without a socket.</summary>
public sealed record AttachFailed
{
    /// <summary>The single instance.</summary>
    public static readonly AttachFailed Instance = new();
}

/// <summary>Close the session with a close frame.</summary>
/// <param name="Status">The close code sent to the client.</param>
/// <param name="Reason">The close reason sent to the client.</param>
/// <param name="DiscardPending">True drops queued outbound messages (slow consumer, protocol violation);
/// false writes them first (shutdown).</param>
public sealed record CloseSession(WebSocketCloseStatus Status, string Reason, bool DiscardPending)
{
    /// <summary>Node shutdown: 1001 after in-flight messages are written.</summary>
    public static readonly CloseSession GoingAway = new(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", false);

    /// <summary>The outbound queue overflowed: 1008 at once.</summary>
    public static readonly CloseSession SlowConsumer = new(WebSocketCloseStatus.PolicyViolation, "slow consumer", true);

    /// <summary>A message over the size limit: 1009.</summary>
    public static readonly CloseSession TooBig = new(WebSocketCloseStatus.MessageTooBig, "message too big", true);

    /// <summary>A binary frame: 1003.</summary>
    public static readonly CloseSession BinaryFrame = new(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported", true);

    /// <summary>The session kept sending over its rate limit: 1008, after the replies already queued (its "rate limited" errors among them).</summary>
    public static readonly CloseSession RateLimitExceeded = new(WebSocketCloseStatus.PolicyViolation, "rate limit exceeded", false);

    /// <summary>The token the session was opened with has expired: 1008, after what was already queued for it.</summary>
    public static readonly CloseSession TokenExpired = new(WebSocketCloseStatus.PolicyViolation, "token expired", false);

    /// <summary>The session's inbox stopped (store failure): 1011 after what was already queued, so the client resumes.</summary>
    public static readonly CloseSession InboxLost = new(WebSocketCloseStatus.InternalServerError, "inbox unavailable; resume", false);
}

/// <summary>The session's credentials stop being valid at <paramref name="ExpiresAt"/>: close it with 1008 then.</summary>
public sealed record ExpireSessionAt(DateTimeOffset ExpiresAt);

/// <summary>From the read pump: a valid SEND, sender already stamped.</summary>
internal sealed record InboundSend(ulong Receiver, byte[] Payload)
{
    public string? Mid { get; init; }

    public string? MidError { get; init; }
}

/// <summary>From the read pump: a BROADCAST (or CONNECT/CLOSE announcement), sender already stamped.</summary>
internal sealed record InboundBroadcast(byte[] Payload);

/// <summary>From the read pump: a message that could not be accepted.</summary>
internal sealed record InboundRejected(string Reason);

/// <summary>From the read pump: it has stopped (close frame, dropped connection, or abort), and how.</summary>
internal sealed record ReadPumpStopped(ReadEnd End);

/// <summary>Both pumps have ended: the socket is no longer touched.</summary>
internal sealed record PumpsStopped
{
    public static readonly PumpsStopped Instance = new();
}

/// <summary>Timer tick: the session's credentials may have expired (checked against the deadline, as long delays are split).</summary>
internal sealed record ExpiryDue
{
    public static readonly ExpiryDue Instance = new();
}

/// <summary>Timer tick: a session that opted in got no <c>InboxReaderOpened</c> in time.</summary>
internal sealed record InboxOpenTimedOut
{
    public static readonly InboxOpenTimedOut Instance = new();
}

/// <summary>Timer tick: the close handshake did not finish in time.</summary>
internal sealed record CloseTimedOut
{
    public static readonly CloseTimedOut Instance = new();
}
