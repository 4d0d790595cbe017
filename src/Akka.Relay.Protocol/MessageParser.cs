using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Akka.Relay.Protocol;

/// <summary>
/// Validates a client's JSON message and stamps its <c>sender</c> without re-serializing it:
/// every other byte the client sent (extra fields, escapes, unicode) is delivered unchanged.
/// </summary>
public static class MessageParser
{
    /// <summary>Deeper nesting than this (inside extra fields) is refused as invalid JSON.</summary>
    public const int MaxDepth = 32;

    /// <summary>The longest client message id (<c>"mid"</c>) the inbox accepts, in characters.</summary>
    public const int MaxMidLength = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Parses one complete text message received from the session of <paramref name="sessionUserId"/>.</summary>
    public static InboundMessage Parse(ReadOnlySpan<byte> json, ulong sessionUserId)
    {
        // The WebSocket layer already refuses invalid UTF-8 (1007), but the reader only checks
        // the strings it decodes, and this check is cheap next to the parse.
        if (!Utf8.IsValid(json))
        {
            return InboundMessage.Reject(ErrorReasons.InvalidJson);
        }

        ulong? type = null;
        ulong? receiver = null;
        var sender = new SenderField();
        var seen = KnownField.None;
        string? mid = null;
        string? midError = null;
        int objectStart;

        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return InboundMessage.Reject(ErrorReasons.NotAnObject);
            }

            objectStart = (int)reader.TokenStartIndex;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Classify(ref reader);
                if (field == KnownField.Mid)
                {
                    // An extra field to version 1: never a reason to refuse the message, only to refuse its mid.
                    reader.Read();
                    (mid, midError) = midError is null && mid is null && (seen & KnownField.Mid) == 0
                        ? ReadMid(ref reader)
                        : (null, ErrorReasons.DuplicateField(KnownField.Mid));
                    seen |= KnownField.Mid;
                    reader.Skip();
                    continue;
                }

                if (field != KnownField.None)
                {
                    // A second "sender" would be read by most JSON libraries as the real one,
                    // so duplicates of the known fields are refused rather than guessed at.
                    if ((seen & field) != 0)
                    {
                        return InboundMessage.Reject(ErrorReasons.DuplicateField(field));
                    }

                    seen |= field;
                }

                reader.Read();
                switch (field)
                {
                    case KnownField.Type:
                        if (!TryReadUInt64(ref reader, out var t))
                        {
                            return InboundMessage.Reject(ErrorReasons.TypeNotUnsigned);
                        }

                        type = t;
                        break;
                    case KnownField.Receiver:
                        if (!TryReadUInt64(ref reader, out var r))
                        {
                            return InboundMessage.Reject(ErrorReasons.ReceiverNotUnsigned);
                        }

                        receiver = r;
                        break;
                    case KnownField.Sender:
                        if (!TryReadUInt64(ref reader, out var s))
                        {
                            return InboundMessage.Reject(ErrorReasons.SenderNotUnsigned);
                        }

                        sender = new SenderField((int)reader.TokenStartIndex, reader.ValueSpan.Length, s);
                        break;
                    case KnownField.Content:
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            return InboundMessage.Reject(ErrorReasons.ContentNotString);
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            // The loop above leaves the reader on the top-level EndObject; anything but
            // whitespace after it makes the next Read throw.
            if (reader.Read())
            {
                return InboundMessage.Reject(ErrorReasons.InvalidJson);
            }
        }
        catch (JsonException)
        {
            return InboundMessage.Reject(ErrorReasons.InvalidJson);
        }
        catch (InvalidOperationException)
        {
            // A top-level key that escapes a lone surrogate ("\ud800"): no text can be read from it.
            return InboundMessage.Reject(ErrorReasons.InvalidJson);
        }

        if (type is not { } messageType)
        {
            return InboundMessage.Reject(ErrorReasons.MissingType);
        }

        InboundKind kind;
        switch ((MessageType)messageType)
        {
            case MessageType.Send:
                if (receiver is not { } target)
                {
                    return InboundMessage.Reject(ErrorReasons.MissingReceiver);
                }

                if (target == UserIds.Server)
                {
                    return InboundMessage.Reject(ErrorReasons.ReceiverIsServer);
                }

                kind = InboundKind.Send;
                break;
            case MessageType.Broadcast:
            case MessageType.Connect:
            case MessageType.Close:
                kind = InboundKind.Broadcast;
                break;
            case MessageType.System:
                return InboundMessage.Reject(ErrorReasons.SystemTypeReserved);
            default:
                return InboundMessage.Reject(ErrorReasons.UnknownType(messageType));
        }

        return new InboundMessage(kind, receiver ?? 0, StampSender(json, objectStart, sender, sessionUserId), null)
        {
            Mid = kind == InboundKind.Send ? mid : null,
            MidError = kind == InboundKind.Send ? midError : null,
        };
    }

    /// <summary>Copies the message with <c>sender</c> set to <paramref name="userId"/>, splicing only that value.</summary>
    private static byte[] StampSender(ReadOnlySpan<byte> json, int objectStart, SenderField sender, ulong userId)
    {
        if (sender.Present && sender.Value == userId)
        {
            // Already right (a valid JSON integer token has exactly one spelling).
            return json.ToArray();
        }

        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(userId, digits, out var digitCount);
        digits = digits[..digitCount];

        if (sender.Present)
        {
            var replaced = new byte[json.Length - sender.Length + digitCount];
            json[..sender.Start].CopyTo(replaced);
            digits.CopyTo(replaced.AsSpan(sender.Start));
            json[(sender.Start + sender.Length)..].CopyTo(replaced.AsSpan(sender.Start + digitCount));
            return replaced;
        }

        // Insert "sender":N, right after the opening brace. The object is never empty
        // here (it has a type), so the trailing comma is always followed by a member.
        ReadOnlySpan<byte> key = "\"sender\":"u8;
        var inserted = new byte[json.Length + key.Length + digitCount + 1];
        var at = objectStart + 1;
        json[..at].CopyTo(inserted);
        key.CopyTo(inserted.AsSpan(at));
        at += key.Length;
        digits.CopyTo(inserted.AsSpan(at));
        at += digitCount;
        inserted[at++] = (byte)',';
        json[(objectStart + 1)..].CopyTo(inserted.AsSpan(at));
        return inserted;
    }

    private static KnownField Classify(ref Utf8JsonReader reader)
    {
        // Only top-level members count; ValueTextEquals also matches escaped spellings
        // such as "s\u0065nder", so an escaped key cannot smuggle a second sender past us.
        if (reader.CurrentDepth != 1)
        {
            return KnownField.None;
        }

        if (reader.ValueIsEscaped)
        {
            // Decoding the key throws (InvalidOperationException, below) if it escapes a lone surrogate; the
            // comparisons alone would do so only for keys of the same length as a protocol field's.
            _ = reader.GetString();
        }

        if (reader.ValueTextEquals("type"u8))
        {
            return KnownField.Type;
        }

        if (reader.ValueTextEquals("sender"u8))
        {
            return KnownField.Sender;
        }

        if (reader.ValueTextEquals("receiver"u8))
        {
            return KnownField.Receiver;
        }

        if (reader.ValueTextEquals("content"u8))
        {
            return KnownField.Content;
        }

        return reader.ValueTextEquals("mid"u8) ? KnownField.Mid : KnownField.None;
    }

    private static (string? Mid, string? Error) ReadMid(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return (null, ErrorReasons.MidNotString);
        }

        // Cheap bound before decoding: a UTF-8 character is at most 4 bytes, and an escape (\uXXXX) at most 12.
        if (reader.ValueSpan.Length == 0 || reader.ValueSpan.Length > MaxMidLength * 12)
        {
            return (null, ErrorReasons.MidLength);
        }

        var value = reader.GetString()!;
        var characters = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            characters++;
        }

        return characters is >= 1 and <= MaxMidLength ? (value, null) : (null, ErrorReasons.MidLength);
    }

    private static bool TryReadUInt64(ref Utf8JsonReader reader, out ulong value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out value);
    }

    private readonly record struct SenderField(int Start, int Length, ulong Value)
    {
        public bool Present => Length > 0;
    }
}

/// <summary>The fields the protocol defines (the four of version 1 and 1.1's <c>mid</c>), as flags for duplicate detection.</summary>
[Flags]
internal enum KnownField
{
    None = 0,
    Type = 1,
    Sender = 2,
    Receiver = 4,
    Content = 8,
    Mid = 16,
}
