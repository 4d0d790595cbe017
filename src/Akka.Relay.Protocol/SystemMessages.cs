using System.Buffers.Text;
using System.Text.Json;

namespace Akka.Relay.Protocol;

/// <summary>Encodes the server's own messages (<c>"type":2,"sender":0</c>) from pre-encoded pieces.</summary>
public static class SystemMessages
{
    /// <summary>The ack content when the receiver had at least one session.</summary>
    public const string SuccessSendContent = "success send";

    /// <summary>The ack content when the receiver had no session.</summary>
    public const string NotOnlineContent = "not online";

    private static readonly byte[] Prefix = "{\"type\":2,\"sender\":0,\"receiver\":"u8.ToArray();
    private static readonly byte[] SuccessSuffix = ",\"content\":\"success send\"}"u8.ToArray();
    private static readonly byte[] NotOnlineSuffix = ",\"content\":\"not online\"}"u8.ToArray();

    /// <summary>The ack for a SEND that reached at least one session of <paramref name="receiver"/>.</summary>
    public static byte[] SuccessSend(ulong receiver) => Compose(receiver, SuccessSuffix);

    /// <summary>The ack for a SEND whose <paramref name="receiver"/> holds no session.</summary>
    public static byte[] NotOnline(ulong receiver) => Compose(receiver, NotOnlineSuffix);

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
