namespace Akka.Relay.Bench.Wire;

/// <summary>What the content of a received message is, as far as the tool cares.</summary>
public enum ContentKind
{
    /// <summary>No content field.</summary>
    None,

    /// <summary>The tool's own <c>SEQ:TIMESTAMP:…</c> content.</summary>
    Timed,

    /// <summary>Ack: <c>success send</c>.</summary>
    SuccessSend,

    /// <summary>Ack: <c>not online</c>.</summary>
    NotOnline,

    /// <summary>An <c>error: …</c> reply other than <see cref="InboxUnavailable"/>.</summary>
    Error,

    /// <summary>Answer to a SEND for a user with an inbox and no live session: <c>stored</c> (protocol 1.1).</summary>
    Stored,

    /// <summary>Answer to a SEND that could not be stored: <c>error: inbox unavailable</c> (protocol 1.1).</summary>
    InboxUnavailable,

    /// <summary>The first frame of a session that opted in: <c>resume</c> with epoch, first, last and gap (protocol 1.1).</summary>
    Resume,

    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>
/// The fields of one received message that the scenarios use. <see cref="Seq"/> is the inbox's
/// <c>"seq"</c> (0 when absent); <see cref="Header"/> is set for a <see cref="ContentKind.Resume"/> frame only.
/// </summary>
public readonly record struct IncomingMessage(int Type, ulong Sender, ContentKind Kind, long Sequence, long Timestamp, long Seq = 0, ResumeHeader? Header = null);

/// <summary>The fields of a <c>resume</c> header; a missing or malformed field reads as -1 (epoch: null).</summary>
public sealed record ResumeHeader(string? Epoch, long First, long Last, bool? Gap);
