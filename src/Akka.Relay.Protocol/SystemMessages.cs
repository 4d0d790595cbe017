using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Akka.Relay.Protocol;

/// <summary>Encodes the server's own messages (<c>"type":2,"sender":0</c>) from pre-encoded pieces.</summary>
public static class SystemMessages
{
    /// <summary>The ack content when the receiver had at least one session.</summary>
    public const string SuccessSendContent = "success send";

    /// <summary>The ack content when the receiver had no session.</summary>
    public const string NotOnlineContent = "not online";

    /// <summary>The ack content when the receiver's inbox stored the message and no session of it was live (protocol 1.1).</summary>
    public const string StoredContent = "stored";

    /// <summary>The content of the first frame a resuming session receives (protocol 1.1).</summary>
    public const string ResumeContent = "resume";

    private static readonly byte[] Prefix = "{\"type\":2,\"sender\":0,\"receiver\":"u8.ToArray();
    private static readonly byte[] SuccessSuffix = ",\"content\":\"success send\"}"u8.ToArray();
    private static readonly byte[] NotOnlineSuffix = ",\"content\":\"not online\"}"u8.ToArray();
    private static readonly byte[] StoredSuffix = ",\"content\":\"stored\"}"u8.ToArray();
    private static readonly byte[] InboxUnavailableSuffix = ",\"content\":\"error: inbox unavailable\"}"u8.ToArray();
    private static readonly byte[] ResumeEpoch = ",\"content\":\"resume\",\"epoch\":\""u8.ToArray();

    /// <summary>The ack for a SEND that reached at least one session of <paramref name="receiver"/>.</summary>
    public static byte[] SuccessSend(ulong receiver) => Compose(receiver, SuccessSuffix);

    /// <summary>The ack for a SEND whose <paramref name="receiver"/> holds no session.</summary>
    public static byte[] NotOnline(ulong receiver) => Compose(receiver, NotOnlineSuffix);

    /// <summary>The ack for a SEND that <paramref name="receiver"/>'s inbox stored while none of its sessions was live.</summary>
    public static byte[] Stored(ulong receiver) => Compose(receiver, StoredSuffix);

    /// <summary>The answer to a SEND of <paramref name="ownId"/> that the receiver's inbox could not store (nothing was delivered).</summary>
    public static byte[] InboxUnavailable(ulong ownId) => Compose(ownId, InboxUnavailableSuffix);

    /// <summary>
    /// The first frame of a resuming session of <paramref name="userId"/>:
    /// <c>{"type":2,"sender":0,"receiver":U,"content":"resume","epoch":"E","first":F,"last":L,"gap":false}</c>.
    /// </summary>
    public static byte[] ResumeHeader(ulong userId, string epoch, ulong first, ulong last, bool gap)
    {
        // The server makes its epochs from plain characters, but the encoder keeps the frame valid JSON whatever they are.
        var epochBytes = JsonEncodedText.Encode(epoch).EncodedUtf8Bytes;
        Span<byte> numbers = stackalloc byte[80];
        var length = 0;
        length += Append(numbers[length..], "\",\"first\":"u8);
        Utf8Formatter.TryFormat(first, numbers[length..], out var written);
        length += written;
        length += Append(numbers[length..], ",\"last\":"u8);
        Utf8Formatter.TryFormat(last, numbers[length..], out written);
        length += written;
        length += Append(numbers[length..], gap ? ",\"gap\":true}"u8 : ",\"gap\":false}"u8);

        var head = Compose(userId, ResumeEpoch);
        var frame = new byte[head.Length + epochBytes.Length + length];
        head.CopyTo(frame, 0);
        epochBytes.CopyTo(frame.AsSpan(head.Length));
        numbers[..length].CopyTo(frame.AsSpan(head.Length + epochBytes.Length));
        return frame;
    }

    /// <summary>The error reply to a message of <paramref name="ownId"/> that could not be accepted.</summary>
    public static byte[] Error(ulong ownId, string reason)
    {
        // Rare path: encode the reason properly rather than trusting it to need no escaping.
        var content = JsonEncodedText.Encode("error: " + reason).EncodedUtf8Bytes;
        ReadOnlySpan<byte> open = ",\"content\":\""u8;
        ReadOnlySpan<byte> close = "\"}"u8;
        var head = Compose(ownId, ReadOnlySpan<byte>.Empty);
        var message = new byte[head.Length + open.Length + content.Length + close.Length];
        head.CopyTo(message, 0);
        open.CopyTo(message.AsSpan(head.Length));
        content.CopyTo(message.AsSpan(head.Length + open.Length));
        close.CopyTo(message.AsSpan(head.Length + open.Length + content.Length));
        return message;
    }

    /// <summary>
    /// A message from the server to every session of <paramref name="receiver"/> (the server API's send):
    /// <c>{"type":2,"sender":0,"receiver":R,"content":"..."}</c>.
    /// </summary>
    public static byte[] Notice(ulong receiver, string content) => WithContent(Compose(receiver, ReadOnlySpan<byte>.Empty), content);

    /// <summary>
    /// A message from the server to every session (the server API's broadcast). It has no receiver, like a
    /// client's broadcast, so one encoding serves every recipient: <c>{"type":2,"sender":0,"content":"..."}</c>.
    /// </summary>
    public static byte[] BroadcastNotice(string content) => WithContent(BroadcastPrefix, content);

    /// <summary>
    /// True when <paramref name="payload"/> is one of the server's own messages. Every system message starts
    /// with <c>{"type":2,"sender":0,</c>; a client's message never does, since type 2 is refused and the sender stamped.
    /// </summary>
    public static bool IsSystemMessage(ReadOnlySpan<byte> payload) => payload.StartsWith(SystemPrefix);

    /// <summary>
    /// True when <paramref name="content"/> reads like the relay's own acks or error replies, which clients
    /// tell apart by content alone: the server API refuses to send such text, so no backend can fake an ack.
    /// </summary>
    public static bool IsReservedContent(string content) =>
        content is SuccessSendContent or NotOnlineContent or StoredContent or ResumeContent || content.StartsWith(ErrorContentPrefix, StringComparison.Ordinal);

    private const string ErrorContentPrefix = "error: ";

    private static readonly byte[] SystemPrefix = "{\"type\":2,\"sender\":0,"u8.ToArray();
    private static readonly byte[] BroadcastPrefix = "{\"type\":2,\"sender\":0"u8.ToArray();

    private static byte[] WithContent(ReadOnlySpan<byte> head, string content)
    {
        // Text of the Basic Multilingual Plane stays UTF-8 (no \uXXXX inflation); quotes, backslashes, control
        // characters and characters beyond the plane (emoji, as surrogate pairs) are escaped.
        var encoded = JsonEncodedText.Encode(content, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
        ReadOnlySpan<byte> open = ",\"content\":\""u8;
        ReadOnlySpan<byte> close = "\"}"u8;
        var message = new byte[head.Length + open.Length + encoded.Length + close.Length];
        head.CopyTo(message);
        open.CopyTo(message.AsSpan(head.Length));
        encoded.CopyTo(message.AsSpan(head.Length + open.Length));
        close.CopyTo(message.AsSpan(head.Length + open.Length + encoded.Length));
        return message;
    }

    private static int Append(Span<byte> destination, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination);
        return text.Length;
    }

    private static byte[] Compose(ulong receiver, ReadOnlySpan<byte> suffix)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(receiver, digits, out var digitCount);
        var message = new byte[Prefix.Length + digitCount + suffix.Length];
        Prefix.CopyTo(message, 0);
        digits[..digitCount].CopyTo(message.AsSpan(Prefix.Length));
        suffix.CopyTo(message.AsSpan(Prefix.Length + digitCount));
        return message;
    }
}
