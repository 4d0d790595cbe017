using System.Buffers;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Akka.Relay.Server.WebSockets;

/// <summary>How far <see cref="RequestHead.TryRead"/> got with the bytes a new connection has sent so far.</summary>
internal enum RequestHeadRead
{
    /// <summary>Could still become a WebSocket upgrade to <c>/ws/{id}</c>: more bytes are needed.</summary>
    Incomplete,

    /// <summary>A complete, well-formed GET of <c>/ws/{id}</c> asking for a WebSocket.</summary>
    Upgrade,

    /// <summary>Anything else (another path or method, TLS, HTTP/2, a malformed or oversized head): Kestrel's to answer.</summary>
    NotOurs,
}

/// <summary>
/// The head of an HTTP/1.x WebSocket upgrade to <c>/ws/{id}</c> read off a new connection: request line and headers,
/// parsed strictly. Whatever Kestrel would refuse or treat in a way of its own (a body, a percent-encoded path, folded
/// or non-ASCII headers, a missing or repeated Host) is not taken, and Kestrel answers it as before.
/// </summary>
internal sealed class RequestHead
{
    // Method, a space and the path's fixed part: a connection whose first bytes differ is handed over at once.
    private static ReadOnlySpan<byte> Prefix => "GET /ws/"u8;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    // RFC 3986 unreserved characters: what an id segment may hold (anything else goes to Kestrel's routing).
    private static readonly SearchValues<char> SegmentChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    // RFC 3986 query characters (pchar / "/" / "?").
    private static readonly SearchValues<char> QueryChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%");

    // RFC 9110 token characters: what a header name may hold.
    private static readonly SearchValues<char> TokenChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~");

    private RequestHead(string protocol, string path, string id, string query, HeaderDictionary headers)
    {
        Protocol = protocol;
        Path = path;
        Id = id;
        Query = query;
        Headers = headers;
    }

    /// <summary><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</summary>
    public string Protocol { get; }

    /// <summary>The path, <c>/ws/{id}</c>.</summary>
    public string Path { get; }

    /// <summary>The path's <c>{id}</c>.</summary>
    public string Id { get; }

    /// <summary>The query string with its <c>?</c>, or empty.</summary>
    public string Query { get; }

    /// <summary>The request's headers.</summary>
    public HeaderDictionary Headers { get; }

    /// <summary>
    /// Reads the head at the start of <paramref name="buffer"/>; on <see cref="RequestHeadRead.Upgrade"/>,
    /// <paramref name="end"/> is where the bytes after it (the client's first frames, if it sent any already) begin.
    /// </summary>
    public static RequestHeadRead TryRead(ReadOnlySequence<byte> buffer, long maxHeadBytes, out RequestHead? head, out SequencePosition end)
    {
        head = null;
        end = buffer.Start;
        if (!StartsLikeAnUpgrade(buffer))
        {
            return RequestHeadRead.NotOurs;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> bytes, EndOfHead, advancePastDelimiter: true))
        {
            // Past Kestrel's own limits it answers 431 or 400 itself.
            return buffer.Length > maxHeadBytes ? RequestHeadRead.NotOurs : RequestHeadRead.Incomplete;
        }

        if (bytes.Length > maxHeadBytes)
        {
            return RequestHeadRead.NotOurs;
        }

        end = reader.Position;
        head = Parse(bytes);
        return head is null ? RequestHeadRead.NotOurs : RequestHeadRead.Upgrade;
    }

    private static bool StartsLikeAnUpgrade(ReadOnlySequence<byte> buffer)
    {
        Span<byte> start = stackalloc byte[8];
        var length = (int)Math.Min(buffer.Length, Prefix.Length);
        buffer.Slice(0, length).CopyTo(start);
        for (var i = 0; i < length; i++)
        {
            // The method is case-sensitive (RFC 9110 9.1), the path is matched the way ASP.NET's routing does: ignoring case.
            var b = i < 4 ? start[i] : (byte)(start[i] | 0x20);
            if (b != (i < 4 ? Prefix[i] : (byte)(Prefix[i] | 0x20)))
            {
                return false;
            }
        }

        return true;
    }

    private static RequestHead? Parse(ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            foreach (var b in segment.Span)
            {
                // Printable ASCII, tabs and line ends only: anything else is for Kestrel to refuse.
                if (b is (< 0x20 and not (byte)'\t' and not (byte)'\r' and not (byte)'\n') or > 0x7E)
                {
                    return null;
                }
            }
        }

        var text = Encoding.ASCII.GetString(bytes).AsSpan();
        var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
        var requestLine = lineEnd < 0 ? text : text[..lineEnd];
        var fields = lineEnd < 0 ? [] : text[(lineEnd + 2)..];
        if (!TryParseRequestLine(requestLine, out var protocol, out var path, out var id, out var query))
        {
            return null;
        }

        var headers = new HeaderDictionary();
        while (!fields.IsEmpty)
        {
            var next = fields.IndexOf("\r\n", StringComparison.Ordinal);
            var line = next < 0 ? fields : fields[..next];
            fields = next < 0 ? [] : fields[(next + 2)..];
            var colon = line.IndexOf(':');
            if (colon <= 0 || line[..colon].ContainsAnyExcept(TokenChars) || line.ContainsAny('\r', '\n'))
            {
                return null;
            }

            var name = line[..colon].ToString();
            var value = line[(colon + 1)..].Trim(" \t").ToString();
            headers[name] = StringValues.Concat(headers[name], value);
        }

        // A body (none belongs on an upgrade) and Host's rules are left to Kestrel, as is any framing question.
        var hosts = headers["Host"].Count;
        if (headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding") || hosts > 1 || (hosts == 0 && protocol == "HTTP/1.1"))
        {
            return null;
        }

        return new RequestHead(protocol, path, id, query, headers);
    }

    private static bool TryParseRequestLine(ReadOnlySpan<char> line, out string protocol, out string path, out string id, out string query)
    {
        protocol = path = id = query = string.Empty;
        var firstSpace = line.IndexOf(' ');
        var lastSpace = line.LastIndexOf(' ');
        if (firstSpace != 3 || lastSpace <= firstSpace)
        {
            return false;
        }

        var version = line[(lastSpace + 1)..];
        if (version is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return false;
        }

        var target = line[(firstSpace + 1)..lastSpace];
        var question = target.IndexOf('?');
        var pathPart = question < 0 ? target : target[..question];
        var queryPart = question < 0 ? [] : target[question..];
        var segment = pathPart[(Prefix.Length - 4)..];
        if (segment.IsEmpty || segment.ContainsAnyExcept(SegmentChars) || (!queryPart.IsEmpty && queryPart[1..].ContainsAnyExcept(QueryChars)))
        {
            return false;
        }

        protocol = version.ToString();
        path = pathPart.ToString();
        id = segment.ToString();
        query = queryPart.ToString();
        return true;
    }
}
