using System.Buffers.Text;
using System.Text.Json;

namespace Akka.Relay.Protocol;

/// <summary>
/// Stamps <c>"seq":N</c> into a stored message for the sessions that opted in to the inbox (protocol 1.1, section 9.2),
/// like <c>sender</c>: inserted if absent, every top-level <c>seq</c> a client put in replaced. The input is left untouched
/// (version 1 sessions of the same user get it as it was).
/// </summary>
public static class SequenceStamp
{
    /// <summary>Returns a copy of <paramref name="message"/> (a JSON object the parser accepted) carrying <c>"seq":<paramref name="seq"/></c>.</summary>
    public static byte[] Apply(ReadOnlySpan<byte> message, ulong seq)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var digitCount);
        digits = digits[..digitCount];

        // Where the client's own "seq" values are (a few at most: duplicates are legal JSON, and each must go,
        // else a reader that takes the last one would see the client's number).
        Span<Range> found = stackalloc Range[4];
        var count = 0;
        List<Range>? more = null;
        var objectStart = 0;
        var reader = new Utf8JsonReader(message, new JsonReaderOptions { MaxDepth = MessageParser.MaxDepth });
        reader.Read();
        objectStart = (int)reader.TokenStartIndex;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSeq = reader.ValueTextEquals("seq"u8);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (!isSeq)
            {
                continue;
            }

            var range = new Range(start, (int)reader.BytesConsumed);
            if (count < found.Length)
            {
                found[count++] = range;
            }
            else
            {
                (more ??= []).Add(range);
            }
        }

        if (count == 0)
        {
            return Insert(message, objectStart, digits);
        }

        var ranges = more is null ? found[..count].ToArray() : [.. found[..count].ToArray(), .. more];
        var removed = 0;
        foreach (var range in ranges)
        {
            removed += range.End.Value - range.Start.Value;
        }

        var stamped = new byte[message.Length - removed + (ranges.Length * digitCount)];
        var from = 0;
        var to = 0;
        foreach (var range in ranges)
        {
            message[from..range.Start.Value].CopyTo(stamped.AsSpan(to));
            to += range.Start.Value - from;
            digits.CopyTo(stamped.AsSpan(to));
            to += digitCount;
            from = range.End.Value;
        }

        message[from..].CopyTo(stamped.AsSpan(to));
        return stamped;
    }

    private static byte[] Insert(ReadOnlySpan<byte> message, int objectStart, ReadOnlySpan<byte> digits)
    {
        // Right after the opening brace; a stored message is never an empty object (it has a type and a sender).
        ReadOnlySpan<byte> key = "\"seq\":"u8;
        var inserted = new byte[message.Length + key.Length + digits.Length + 1];
        var at = objectStart + 1;
        message[..at].CopyTo(inserted);
        key.CopyTo(inserted.AsSpan(at));
        at += key.Length;
        digits.CopyTo(inserted.AsSpan(at));
        at += digits.Length;
        inserted[at++] = (byte)',';
        message[(objectStart + 1)..].CopyTo(inserted.AsSpan(at));
        return inserted;
    }
}
