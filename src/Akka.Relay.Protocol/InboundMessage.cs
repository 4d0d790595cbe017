namespace Akka.Relay.Protocol;

/// <summary>What the server does with one client message.</summary>
public enum InboundKind
{
    /// <summary>A SEND: deliver <see cref="InboundMessage.Payload"/> to <see cref="InboundMessage.Receiver"/> and ack.</summary>
    Send,

    /// <summary>A BROADCAST, CONNECT or CLOSE: deliver <see cref="InboundMessage.Payload"/> to every session.</summary>
    Broadcast,

    /// <summary>Not accepted: answer with an error reply carrying <see cref="InboundMessage.Error"/>.</summary>
    Rejected,
}

/// <summary>
/// A parsed client message. <see cref="Payload"/> is the client's JSON with <c>sender</c>
/// stamped to the session's user id, ready to be written as-is to every recipient.
/// </summary>
public readonly record struct InboundMessage(InboundKind Kind, ulong Receiver, byte[]? Payload, string? Error)
{
    /// <summary>
    /// The SEND's client message id (<c>"mid"</c>, 1..64 characters) when it has a valid one. Only the inbox reads it
    /// (protocol 1.1, idempotent retries); a version 1 session's message is accepted whatever its <c>mid</c> holds.
    /// </summary>
    public string? Mid { get; init; }

    /// <summary>Why the message's <c>"mid"</c> is unusable (wrong type, length, duplicate), or null when absent or valid.</summary>
    public string? MidError { get; init; }

    /// <summary>A message the server refuses, with the reason sent back to the client.</summary>
    public static InboundMessage Reject(string reason) => new(InboundKind.Rejected, 0, null, reason);
}
