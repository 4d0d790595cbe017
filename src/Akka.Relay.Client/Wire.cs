using System.Buffers;
using System.Text.Json;

namespace Akka.Relay.Client;

/// <summary>The few frames the client writes, and the system message contents it reads (docs/protocol.md sections 3 and 9).</summary>
internal static class Wire
{
    public const string SuccessSend = "success send";
    public const string NotOnline = "not online";
    public const string Stored = "stored";
    public const string Resume = "resume";
    public const string ErrorPrefix = "error: ";

    /// <summary>The one refusal that answers a SEND in ack order (the route's answer, not the session's).</summary>
    public const string NoRoute = "the cluster could not route the message";

    public const string TokenExpired = "token expired";
    public const string SlowConsumer = "slow consumer";
    public const string RateLimitExceeded = "rate limit exceeded";

    public static byte[] Send(ulong receiver, string content, string mid) => Encode(1, receiver, content, mid);

    public static byte[] Broadcast(string content, string mid) => Encode(3, null, content, mid);

    private static byte[] Encode(int type, ulong? receiver, string content, string mid)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type", type);
            if (receiver is { } r)
            {
                writer.WriteNumber("receiver", r);
            }

            writer.WriteString("content", content);
            writer.WriteString("mid", mid);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
