using System.Globalization;
using System.Net.WebSockets;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// How a session ended, as the tags of <c>relay.sessions.closed</c>: the close code the server sent or received
/// (<c>1006</c> when no close frame was exchanged) and a short cause. Both come from small fixed sets.
/// </summary>
internal readonly record struct SessionEnd(string Code, string Cause)
{
    /// <summary>The client sent a close frame first.</summary>
    public const string ClientCloseCause = "client_close";

    /// <summary>No Pong arrived within the pong timeout: the WebSocket layer aborted the connection.</summary>
    public static readonly SessionEnd HeartbeatTimeout = new("1006", "heartbeat_timeout");

    /// <summary>The TCP connection broke without a close handshake.</summary>
    public static readonly SessionEnd ConnectionLost = new("1006", "connection_lost");

    /// <summary>
    /// The WebSocket layer refused a frame (invalid UTF-8: 1007, a framing error: 1002) and closed the session
    /// itself; which of the two codes it sent is not reported to us.
    /// </summary>
    public static readonly SessionEnd ProtocolError = new("unknown", "protocol_error");

    /// <summary>The actor was stopped from outside (actor system shutdown) while its connection was open.</summary>
    public static readonly SessionEnd Stopped = new("1006", "server_stopped");

    /// <summary>The server closed the session for <paramref name="close"/>'s reason.</summary>
    public static SessionEnd ServerClose(CloseSession close) => new(CodeText(close.Status), CauseOf(close));

    /// <summary>The client closed the session with <paramref name="status"/>.</summary>
    public static SessionEnd ClientClose(WebSocketCloseStatus? status) => new(CodeText(status ?? WebSocketCloseStatus.NormalClosure), ClientCloseCause);

    /// <summary>How the read pump's end is counted when nothing else ended the session first.</summary>
    public static SessionEnd Of(ReadEnd end, WebSocketCloseStatus? receivedStatus) => end switch
    {
        ReadEnd.CloseReceived => ClientClose(receivedStatus),
        ReadEnd.Aborted => HeartbeatTimeout,
        ReadEnd.ProtocolError => ProtocolError,
        _ => ConnectionLost,
    };

    private static string CauseOf(CloseSession close)
    {
        if (ReferenceEquals(close, CloseSession.GoingAway))
        {
            return "going_away";
        }

        if (ReferenceEquals(close, CloseSession.SlowConsumer))
        {
            return "slow_consumer";
        }

        if (ReferenceEquals(close, CloseSession.TooBig))
        {
            return "message_too_big";
        }

        if (ReferenceEquals(close, CloseSession.BinaryFrame))
        {
            return "binary_frame";
        }

        // Other server closes (rate limit, expired credentials...) are static instances too: their
        // reason, in snake case, is a cause from a fixed set.
        return Slug(close.Reason);
    }

    private static string CodeText(WebSocketCloseStatus status) => ((int)status).ToString(CultureInfo.InvariantCulture);

    internal static string Slug(string text)
    {
        Span<char> slug = stackalloc char[Math.Min(text.Length, 64)];
        var length = 0;
        foreach (var c in text)
        {
            if (length == slug.Length)
            {
                break;
            }

            if (char.IsAsciiLetterOrDigit(c))
            {
                slug[length++] = char.ToLowerInvariant(c);
            }
            else if (length > 0 && slug[length - 1] != '_')
            {
                slug[length++] = '_';
            }
        }

        var result = slug[..length].TrimEnd('_');
        return result.IsEmpty ? "other" : new string(result);
    }
}

/// <summary>How a session's read pump ended.</summary>
internal enum ReadEnd
{
    /// <summary>The client's close frame arrived.</summary>
    CloseReceived,

    /// <summary>The connection was aborted under the pump (keep-alive timeout, or the server's own abort).</summary>
    Aborted,

    /// <summary>The TCP connection broke.</summary>
    Dropped,

    /// <summary>The WebSocket layer refused a frame and closed the connection itself.</summary>
    ProtocolError,
}
