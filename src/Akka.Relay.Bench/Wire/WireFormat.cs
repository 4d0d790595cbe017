using System.Buffers.Text;
using System.Text.Json;

namespace Akka.Relay.Bench.Wire;

/// <summary>Encodes the tool's messages and reads the fields it needs from what the server sends.</summary>
/// <remarks>
/// The tool's content is <c>SEQ:TIMESTAMP:xxxx…</c> (ASCII only, so no JSON escaping): a sequence
/// number per sender, the <see cref="System.Diagnostics.Stopwatch"/> timestamp of the send, and
/// padding up to the requested content size. Every message carries <c>"sender"</c> set to the
/// client's own id: Akka.Relay stamps it anyway, the Go original delivers it unchanged.
/// </remarks>
public static class WireFormat
{
    /// <summary>docs/protocol.md's limit for one client message, after reassembly.</summary>
    public const int MaxMessageBytes = 512;

    /// <summary>The largest content the tool sends: with 20-digit ids the frame still fits <see cref="MaxMessageBytes"/>.</summary>
    public const int MaxContentBytes = 420;

    /// <summary>SEND (1:1 message).</summary>
    public const int TypeSend = 1;

    /// <summary>SYSTEM (server acks and errors).</summary>
    public const int TypeSystem = 2;

    /// <summary>BROADCAST.</summary>
    public const int TypeBroadcast = 3;

    private static ReadOnlySpan<byte> TypePrefix => "{\"type\":"u8;
    private static ReadOnlySpan<byte> SenderKey => ",\"sender\":"u8;
    private static ReadOnlySpan<byte> ReceiverKey => ",\"receiver\":"u8;
    private static ReadOnlySpan<byte> ContentKey => ",\"content\":\""u8;
    private static ReadOnlySpan<byte> Suffix => "\"}"u8;

    /// <summary>The largest frame <see cref="EncodeTimed"/> can produce for a content size.</summary>
    public static int MaxEncodedLength(int contentSize) =>
        TypePrefix.Length + 1 + SenderKey.Length + 20 + ReceiverKey.Length + 20 + ContentKey.Length
        + Math.Max(contentSize, 20 + 1 + 20 + 1) + Suffix.Length;

    /// <summary>
    /// Writes <c>{"type":T,"sender":S[,"receiver":R],"content":"SEQ:TS:xxx"}</c> into
    /// <paramref name="destination"/> and returns its length; <paramref name="receiver"/> 0 omits the field.
    /// </summary>
    public static int EncodeTimed(Span<byte> destination, int type, ulong sender, ulong receiver, long sequence, long timestamp, int contentSize)
    {
        var w = 0;
        Append(destination, ref w, TypePrefix);
        w += Format((ulong)type, destination[w..]);
        Append(destination, ref w, SenderKey);
        w += Format(sender, destination[w..]);
        if (receiver != 0)
        {
            Append(destination, ref w, ReceiverKey);
            w += Format(receiver, destination[w..]);
        }

        Append(destination, ref w, ContentKey);
        var contentStart = w;
        w += Format((ulong)sequence, destination[w..]);
        destination[w++] = (byte)':';
        w += Format((ulong)timestamp, destination[w..]);
        destination[w++] = (byte)':';
        var padding = contentSize - (w - contentStart);
        if (padding > 0)
        {
            destination.Slice(w, padding).Fill((byte)'x');
            w += padding;
        }

        Append(destination, ref w, Suffix);
        return w;
    }

    /// <summary>
    /// Reads type, sender, content and the inbox's <c>seq</c> from one server message (and, for a
    /// <c>resume</c> header, its epoch, first, last and gap); false if it is not a JSON object.
    /// A <c>seq</c> that is not a positive integer reads as -1, so a check never takes it for a good one.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out IncomingMessage message)
    {
        message = default;
        var type = -1;
        ulong sender = 0;
        var kind = ContentKind.None;
        long sequence = 0;
        long timestamp = 0;
        long seq = 0;
        string? epoch = null;
        long first = -1;
        long last = -1;
        bool? gap = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var t))
                    {
                        type = t;
                    }
                }
                else if (reader.ValueTextEquals("sender"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var s))
                    {
                        sender = s;
                    }
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        kind = Classify(reader.ValueSpan, out sequence, out timestamp);
                    }
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    seq = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n > 0 ? n : -1;
                }
                else if (reader.ValueTextEquals("epoch"u8))
                {
                    reader.Read();
                    epoch = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("first"u8))
                {
                    reader.Read();
                    first = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var f) ? f : -1;
                }
                else if (reader.ValueTextEquals("last"u8))
                {
                    reader.Read();
                    last = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var l) ? l : -1;
                }
                else if (reader.ValueTextEquals("gap"u8))
                {
                    reader.Read();
                    gap = reader.TokenType switch
                    {
                        JsonTokenType.True => true,
                        JsonTokenType.False => false,
                        _ => null,
                    };
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        var header = kind == ContentKind.Resume ? new ResumeHeader(epoch, first, last, gap) : null;
        message = new IncomingMessage(type, sender, kind, sequence, timestamp, seq, header);
        return true;
    }

    private static ContentKind Classify(ReadOnlySpan<byte> content, out long sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        if (content.SequenceEqual("success send"u8))
        {
            return ContentKind.SuccessSend;
        }

        if (content.SequenceEqual("not online"u8))
        {
            return ContentKind.NotOnline;
        }

        if (content.SequenceEqual("stored"u8))
        {
            return ContentKind.Stored;
        }

        if (content.SequenceEqual("resume"u8))
        {
            return ContentKind.Resume;
        }

        if (content.SequenceEqual("error: inbox unavailable"u8))
        {
            return ContentKind.InboxUnavailable;
        }

        if (content.StartsWith("error"u8))
        {
            return ContentKind.Error;
        }

        if (Utf8Parser.TryParse(content, out ulong seq, out var used) && used < content.Length && content[used] == (byte)':')
        {
            var rest = content[(used + 1)..];
            if (Utf8Parser.TryParse(rest, out ulong ts, out var usedTs) && usedTs < rest.Length && rest[usedTs] == (byte)':')
            {
                sequence = (long)seq;
                timestamp = (long)ts;
                return ContentKind.Timed;
            }
        }

        return ContentKind.Other;
    }

    private static void Append(Span<byte> destination, ref int written, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[written..]);
        written += text.Length;
    }

    private static int Format(ulong value, Span<byte> destination)
    {
        if (!Utf8Formatter.TryFormat(value, destination, out var written))
        {
            throw new ArgumentException("destination too small for the message", nameof(destination));
        }

        return written;
    }
}
