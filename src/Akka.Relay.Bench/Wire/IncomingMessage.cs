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

    /// <summary>An <c>error: …</c> reply.</summary>
    Error,

    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>The fields of one received message that the scenarios use.</summary>
public readonly record struct IncomingMessage(int Type, ulong Sender, ContentKind Kind, long Sequence, long Timestamp);
