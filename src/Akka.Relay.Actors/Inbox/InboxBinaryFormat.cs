using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;

namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// The compact layout of the two records an inbox writes most (version 2 of their manifests): every message of every
/// batch and of every snapshot goes through it. Fixed-size fields are little-endian, lengths and counts unsigned LEB128,
/// times UTC ticks; the payload's bytes are copied as they are (JSON would base64 them, a third larger, and cost more CPU).
/// </summary>
internal static class InboxBinaryFormat
{
    private const byte ReadersLiveFlag = 1;
    private const byte HasMidFlag = 2;
    private const byte HasEpochFlag = 1;

    // sender, time, flags
    private const int MessageFixedSize = 8 + 8 + 1;

    /// <summary>A batch: count, then each message.</summary>
    public static byte[] Write(MessagesStored batch)
    {
        var size = VarSize((ulong)batch.Messages.Length);
        foreach (var message in batch.Messages)
        {
            size += MessageSize(message.Mid, message.Payload);
        }

        var bytes = new byte[size];
        var at = WriteVar(bytes, 0, (ulong)batch.Messages.Length);
        foreach (var message in batch.Messages)
        {
            at = WriteMessage(bytes, at, message.Sender, message.Mid, message.Payload, message.At, message.ReadersLive);
        }

        return bytes;
    }

    /// <summary>A snapshot: flags, epoch, last seq, last activity, count, then each message after its seq.</summary>
    public static byte[] Write(InboxSnapshot snapshot)
    {
        var size = 1 + (snapshot.Epoch is { } epoch ? StringSize(epoch) : 0) + 8 + 8 + VarSize((ulong)snapshot.Messages.Length);
        foreach (var message in snapshot.Messages)
        {
            size += 8 + MessageSize(message.Mid, message.Payload);
        }

        var bytes = new byte[size];
        bytes[0] = snapshot.Epoch is null ? (byte)0 : HasEpochFlag;
        var at = 1;
        if (snapshot.Epoch is not null)
        {
            at = WriteString(bytes, at, snapshot.Epoch);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), snapshot.Last);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 8), snapshot.LastActivity.Ticks);
        at = WriteVar(bytes, at + 16, (ulong)snapshot.Messages.Length);
        foreach (var message in snapshot.Messages)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), message.Seq);
            at = WriteMessage(bytes, at + 8, message.Sender, message.Mid, message.Payload, message.At, message.ReadersLive);
        }

        return bytes;
    }

    /// <summary>Reads what <see cref="Write(MessagesStored)"/> wrote.</summary>
    public static MessagesStored ReadBatch(byte[] bytes)
    {
        var reader = new Reader(bytes);
        var messages = new MessageStored[reader.Count()];
        for (var i = 0; i < messages.Length; i++)
        {
            var (sender, mid, payload, at, readersLive) = reader.Message();
            messages[i] = new MessageStored(sender, mid, payload, at, readersLive);
        }

        reader.End();
        return new MessagesStored(messages);
    }

    /// <summary>Reads what <see cref="Write(InboxSnapshot)"/> wrote.</summary>
    public static InboxSnapshot ReadSnapshot(byte[] bytes)
    {
        var reader = new Reader(bytes);
        var epoch = (reader.Byte() & HasEpochFlag) != 0 ? reader.String() : null;
        var last = reader.UInt64();
        var lastActivity = reader.Time();
        var messages = new StoredMessage[reader.Count()];
        for (var i = 0; i < messages.Length; i++)
        {
            var seq = reader.UInt64();
            var (sender, mid, payload, at, readersLive) = reader.Message();
            messages[i] = new StoredMessage(seq, sender, mid, payload, at, readersLive);
        }

        reader.End();
        return new InboxSnapshot(epoch, last, lastActivity, messages);
    }

    private static int MessageSize(string? mid, byte[] payload) =>
        MessageFixedSize + (mid is null ? 0 : StringSize(mid)) + VarSize((ulong)payload.Length) + payload.Length;

    private static int StringSize(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return VarSize((ulong)length) + length;
    }

    private static int VarSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private static int WriteMessage(byte[] bytes, int at, ulong sender, string? mid, byte[] payload, DateTime time, bool readersLive)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), sender);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 8), time.Ticks);
        bytes[at + 16] = (byte)((readersLive ? ReadersLiveFlag : 0) | (mid is null ? 0 : HasMidFlag));
        at += MessageFixedSize;
        if (mid is not null)
        {
            at = WriteString(bytes, at, mid);
        }

        at = WriteVar(bytes, at, (ulong)payload.Length);
        payload.CopyTo(bytes, at);
        return at + payload.Length;
    }

    private static int WriteString(byte[] bytes, int at, string value)
    {
        at = WriteVar(bytes, at, (ulong)Encoding.UTF8.GetByteCount(value));
        return at + Encoding.UTF8.GetBytes(value, bytes.AsSpan(at));
    }

    private static int WriteVar(byte[] bytes, int at, ulong value)
    {
        while (value >= 0x80)
        {
            bytes[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        bytes[at++] = (byte)value;
        return at;
    }

    /// <summary>Reads the fields in order; anything short, too long or left over is a <see cref="SerializationException"/>.</summary>
    private ref struct Reader(byte[] bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public byte Byte() => _bytes[Take(1)];

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(_bytes.Slice(Take(8), 8));

        public DateTime Time() => new(BinaryPrimitives.ReadInt64LittleEndian(_bytes.Slice(Take(8), 8)), DateTimeKind.Utc);

        public int Count()
        {
            var count = Var();
            // Each entry takes at least one byte: a larger count is a corrupt row, not an allocation to attempt.
            return count <= (ulong)(_bytes.Length - _at) ? (int)count : throw Corrupt();
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public (ulong Sender, string? Mid, byte[] Payload, DateTime At, bool ReadersLive) Message()
        {
            var sender = UInt64();
            var at = Time();
            var flags = Byte();
            var mid = (flags & HasMidFlag) != 0 ? String() : null;
            return (sender, mid, Bytes().ToArray(), at, (flags & ReadersLiveFlag) != 0);
        }

        public readonly void End()
        {
            if (_at != _bytes.Length)
            {
                throw Corrupt();
            }
        }

        private ReadOnlySpan<byte> Bytes()
        {
            var length = Var();
            return length <= (ulong)(_bytes.Length - _at) ? _bytes.Slice(Take((int)length), (int)length) : throw Corrupt();
        }

        private ulong Var()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw Corrupt();
        }

        private int Take(int count)
        {
            if (count > _bytes.Length - _at)
            {
                throw Corrupt();
            }

            var at = _at;
            _at += count;
            return at;
        }

        private static SerializationException Corrupt() => new("a corrupt inbox record in the store (version 2 layout)");
    }
}
