using System.Buffers.Binary;
using System.Text;
using Akka.Actor;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Protocol;
using Akka.Serialization;
using AkkaSerialization = Akka.Serialization.Serialization;

namespace Akka.Relay.Cluster.Serialization;

/// <summary>
/// Compact binary encoding of the messages that cross nodes: SENDs, deliveries and answers on the
/// hot path carry the client's bytes untouched and no actor paths (a <see cref="FanOut"/> is its
/// payload and nothing else), instead of the default JSON serializer's base64.
/// </summary>
public sealed class RelayMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer's id in <c>akka.actor.serialization-identifiers</c> (user ids start above 100).</summary>
    public const int Id = 8_080;

    /// <summary>The message types this serializer is bound to.</summary>
    public static readonly Type[] MessageTypes =
    [
        typeof(RouteSend), typeof(DeliverRouted), typeof(SendRouted), typeof(DeliveryBatch), typeof(AnswerBatch), typeof(FanOut),
        typeof(ClaimSession), typeof(SessionClaimed), typeof(ClaimRefused), typeof(ReleaseSession),
        typeof(ReportSessions), typeof(SessionsReport),
        typeof(GetUserSessions), typeof(UserSessions), typeof(GetHubStats), typeof(HubStats),
        typeof(InboxKnown), typeof(GetUserInbox), typeof(InboxStatus),
        typeof(InboxReaderOpened), typeof(InboxDelivery), typeof(InboxReaderFailed), typeof(InboxReaderLost),
    ];

    private const string SendManifest = "S";
    private const string RoutedManifest = "A";
    private const string DeliverManifest = "D";
    private const string FanOutManifest = "F";
    private const string DeliveryBatchManifest = "DB";
    private const string AnswerBatchManifest = "AB";
    private const string ClaimManifest = "C";
    private const string ClaimedManifest = "CD";
    private const string RefusedManifest = "CR";
    private const string ReleaseManifest = "R";
    private const string ReportQueryManifest = "Q";
    private const string ReportManifest = "QR";
    private const string UserQueryManifest = "U";
    private const string UserAnswerManifest = "UR";
    private const string StatsQueryManifest = "H";
    private const string StatsAnswerManifest = "HR";
    private const string InboxKnownManifest = "IK";
    private const string InboxQueryManifest = "IQ";
    private const string InboxStatusManifest = "IS";
    private const string ReaderOpenedManifest = "IO";
    private const string InboxDeliveryManifest = "ID";
    private const string ReaderFailedManifest = "IF";
    private const string ReaderLostManifest = "IL";

    // Bits of an answer's outcome byte.
    private const byte DeliveredBit = 1;
    private const byte StoredBit = 2;
    private const byte UnavailableBit = 4;

    /// <summary>Creates the serializer for <paramref name="system"/>.</summary>
    public RelayMessageSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RouteSend => SendManifest,
        SendRouted => RoutedManifest,
        DeliverRouted => DeliverManifest,
        DeliveryBatch => DeliveryBatchManifest,
        AnswerBatch => AnswerBatchManifest,
        FanOut => FanOutManifest,
        ClaimSession => ClaimManifest,
        SessionClaimed => ClaimedManifest,
        ClaimRefused => RefusedManifest,
        ReleaseSession => ReleaseManifest,
        ReportSessions => ReportQueryManifest,
        SessionsReport => ReportManifest,
        GetUserSessions => UserQueryManifest,
        UserSessions => UserAnswerManifest,
        GetHubStats => StatsQueryManifest,
        HubStats => StatsAnswerManifest,
        InboxKnown => InboxKnownManifest,
        GetUserInbox => InboxQueryManifest,
        InboxStatus => InboxStatusManifest,
        InboxReaderOpened => ReaderOpenedManifest,
        InboxDelivery => InboxDeliveryManifest,
        InboxReaderFailed => ReaderFailedManifest,
        InboxReaderLost => ReaderLostManifest,
        _ => throw new ArgumentException($"Cannot serialize {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        // The payload is immutable and shared: send it as it is.
        FanOut m => m.Payload,
        RouteSend m => RouteSendBytes(m),
        DeliverRouted m => Sequenced(m.Receiver, m.Sequence, Int32s(m.Hubs), m.Payload),
        SendRouted m => AnswerBytes(m),
        DeliveryBatch m => DeliveryBatchBytes(m.Deliveries),
        AnswerBatch m => AnswerBatchBytes(m.Answers),
        ClaimSession m => ClaimBytes(m),
        SessionClaimed m => WithUserId(m.UserId, Path(m.Session)),
        ReleaseSession m => WithUserId(m.UserId, Path(m.Session)),
        ClaimRefused m => WithUserId(m.UserId, Strings(AkkaSerialization.SerializedActorPath(m.Session), m.Detail)),
        ReportSessions m => WithUserId(m.UserId, []),
        SessionsReport m => ReportBytes(m),
        GetUserSessions m => WithUserId(m.UserId, []),
        UserSessions m => WithUserId(m.UserId, Int32s(m.Sessions)),
        GetHubStats => [],
        HubStats m => Int32s(m.Users, m.Sessions),
        InboxKnown m => WithUserId(m.UserId, [m.Exists ? (byte)1 : (byte)0]),
        GetUserInbox m => WithUserId(m.UserId, []),
        InboxStatus m => StatusBytes(m),
        InboxReaderOpened m => ReaderOpenedBytes(m),
        // [seq: 8][payload]: a reader's hot path.
        InboxDelivery m => Sequenced(m.Seq, m.Payload),
        InboxReaderFailed m => Encoding.UTF8.GetBytes(m.Reason),
        InboxReaderLost m => WithUserId(m.UserId, []),
        _ => throw new ArgumentException($"Cannot serialize {obj.GetType()}", nameof(obj)),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        switch (manifest)
        {
            case FanOutManifest:
                return new FanOut(bytes);
            case StatsQueryManifest:
                return GetHubStats.Instance;
            case DeliveryBatchManifest:
                return ReadDeliveryBatch(bytes);
            case AnswerBatchManifest:
                return ReadAnswerBatch(bytes);
            case StatsAnswerManifest:
                return new HubStats(BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(sizeof(int))));
            case InboxStatusManifest:
                return ReadStatus(bytes);
            case ReaderOpenedManifest:
                return ReadReaderOpened(bytes);
            case InboxDeliveryManifest:
                return new InboxDelivery(BinaryPrimitives.ReadUInt64LittleEndian(bytes), bytes.AsSpan(sizeof(ulong)).ToArray());
            case ReaderFailedManifest:
                return new InboxReaderFailed(Encoding.UTF8.GetString(bytes));
        }

        var userId = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var rest = bytes.AsSpan(sizeof(ulong));
        return manifest switch
        {
            SendManifest => ReadRouteSend(userId, rest),
            DeliverManifest => new DeliverRouted(userId, rest[(sizeof(long) + sizeof(int))..].ToArray(), SequenceOf(rest), BinaryPrimitives.ReadInt32LittleEndian(rest[sizeof(long)..])),
            RoutedManifest => ReadAnswer(userId, rest),
            ClaimManifest => ReadClaim(userId, rest),
            ClaimedManifest => new SessionClaimed(userId, Resolve(Encoding.UTF8.GetString(rest))),
            ReleaseManifest => new ReleaseSession(userId, Resolve(Encoding.UTF8.GetString(rest))),
            RefusedManifest => ReadRefused(userId, ReadStrings(rest)),
            ReportQueryManifest => new ReportSessions(userId),
            ReportManifest => ReadReport(userId, rest),
            UserQueryManifest => new GetUserSessions(userId),
            UserAnswerManifest => new UserSessions(userId, BinaryPrimitives.ReadInt32LittleEndian(rest)),
            InboxKnownManifest => new InboxKnown(userId, rest[0] == 1),
            InboxQueryManifest => new GetUserInbox(userId),
            ReaderLostManifest => new InboxReaderLost(userId),
            _ => throw new System.Runtime.Serialization.SerializationException($"Unknown manifest '{manifest}'"),
        };
    }

    // [user id: 8][sequence: 8][fields][payload]: the hot-path messages.
    private static byte[] Sequenced(ulong userId, long sequence, ReadOnlySpan<byte> fields, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[sizeof(ulong) + sizeof(long) + fields.Length + payload.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, userId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(sizeof(ulong)), sequence);
        fields.CopyTo(bytes.AsSpan(sizeof(ulong) + sizeof(long)));
        payload.CopyTo(bytes.AsSpan(sizeof(ulong) + sizeof(long) + fields.Length));
        return bytes;
    }

    // A SendRouted, alone or in a batch: [user id: 8][sequence: 8][outcome bits: 1][hubs: 4].
    private static byte[] AnswerBytes(SendRouted answer)
    {
        var bytes = new byte[AnswerSize];
        WriteAnswer(bytes, answer);
        return bytes;
    }

    private static void WriteAnswer(Span<byte> span, SendRouted answer)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(span, answer.Receiver);
        BinaryPrimitives.WriteInt64LittleEndian(span[sizeof(ulong)..], answer.Sequence);
        span[sizeof(ulong) + sizeof(long)] = (byte)((answer.Delivered ? DeliveredBit : 0) | (answer.Stored ? StoredBit : 0) | (answer.InboxUnavailable ? UnavailableBit : 0));
        BinaryPrimitives.WriteInt32LittleEndian(span[(sizeof(ulong) + sizeof(long) + 1)..], answer.Hubs);
    }

    // [sequence: 8][outcome bits: 1][hubs: 4], after the user id.
    private static SendRouted ReadAnswer(ulong userId, ReadOnlySpan<byte> span)
    {
        var outcome = span[sizeof(long)];
        return new SendRouted(userId, SequenceOf(span), (outcome & DeliveredBit) != 0, BinaryPrimitives.ReadInt32LittleEndian(span[(sizeof(long) + 1)..]))
        {
            Stored = (outcome & StoredBit) != 0,
            InboxUnavailable = (outcome & UnavailableBit) != 0,
        };
    }

    private static long SequenceOf(ReadOnlySpan<byte> afterUserId) => BinaryPrimitives.ReadInt64LittleEndian(afterUserId);

    // A delivery in a batch: [user id: 8][sequence: 8][hubs: 4][payload length: 4][payload].
    private const int DeliveryHeader = sizeof(ulong) + sizeof(long) + sizeof(int) + sizeof(int);

    // An answer (see AnswerBytes).
    private const int AnswerSize = sizeof(ulong) + sizeof(long) + 1 + sizeof(int);

    // [count: 4][delivery]...
    private static byte[] DeliveryBatchBytes(IReadOnlyList<DeliverRouted> deliveries)
    {
        var length = sizeof(int);
        foreach (var delivery in deliveries)
        {
            length += DeliveryHeader + delivery.Payload.Length;
        }

        var bytes = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, deliveries.Count);
        var span = bytes.AsSpan(sizeof(int));
        foreach (var delivery in deliveries)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, delivery.Receiver);
            BinaryPrimitives.WriteInt64LittleEndian(span[sizeof(ulong)..], delivery.Sequence);
            BinaryPrimitives.WriteInt32LittleEndian(span[(sizeof(ulong) + sizeof(long))..], delivery.Hubs);
            BinaryPrimitives.WriteInt32LittleEndian(span[(sizeof(ulong) + sizeof(long) + sizeof(int))..], delivery.Payload.Length);
            delivery.Payload.CopyTo(span[DeliveryHeader..]);
            span = span[(DeliveryHeader + delivery.Payload.Length)..];
        }

        return bytes;
    }

    private static DeliveryBatch ReadDeliveryBatch(ReadOnlySpan<byte> span)
    {
        var deliveries = new DeliverRouted[BinaryPrimitives.ReadInt32LittleEndian(span)];
        span = span[sizeof(int)..];
        for (var i = 0; i < deliveries.Length; i++)
        {
            var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(span[(sizeof(ulong) + sizeof(long) + sizeof(int))..]);
            deliveries[i] = new DeliverRouted(
                BinaryPrimitives.ReadUInt64LittleEndian(span),
                span.Slice(DeliveryHeader, payloadLength).ToArray(),
                BinaryPrimitives.ReadInt64LittleEndian(span[sizeof(ulong)..]),
                BinaryPrimitives.ReadInt32LittleEndian(span[(sizeof(ulong) + sizeof(long))..]));
            span = span[(DeliveryHeader + payloadLength)..];
        }

        return new DeliveryBatch(deliveries);
    }

    // [count: 4][answer]...
    private static byte[] AnswerBatchBytes(IReadOnlyList<SendRouted> answers)
    {
        var bytes = new byte[sizeof(int) + (answers.Count * AnswerSize)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, answers.Count);
        var span = bytes.AsSpan(sizeof(int));
        foreach (var answer in answers)
        {
            WriteAnswer(span, answer);
            span = span[AnswerSize..];
        }

        return bytes;
    }

    private static AnswerBatch ReadAnswerBatch(ReadOnlySpan<byte> span)
    {
        var answers = new SendRouted[BinaryPrimitives.ReadInt32LittleEndian(span)];
        span = span[sizeof(int)..];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = ReadAnswer(BinaryPrimitives.ReadUInt64LittleEndian(span), span[sizeof(ulong)..]);
            span = span[AnswerSize..];
        }

        return new AnswerBatch(answers);
    }

    private ClaimRefused ReadRefused(ulong userId, string[] fields) => new(userId, Resolve(fields[0]), fields[1]);

    private IActorRef Resolve(string path) => system.Provider.ResolveActorRef(path);

    private static byte[] Path(IActorRef actor) => Encoding.UTF8.GetBytes(AkkaSerialization.SerializedActorPath(actor));

    private static byte[] WithUserId(ulong userId, ReadOnlySpan<byte> rest)
    {
        var bytes = new byte[sizeof(ulong) + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, userId);
        rest.CopyTo(bytes.AsSpan(sizeof(ulong)));
        return bytes;
    }

    // [user id: 8][sequence: 8][previous: 8][sender id: 8][mid length: 1 (0 = none)][mid][payload].
    private static byte[] RouteSendBytes(RouteSend send)
    {
        // A mid is at most 64 UTF-16 characters (the parser refuses longer), so at most 192 UTF-8 bytes.
        Span<byte> fields = stackalloc byte[(sizeof(long) * 2) + 1 + 192];
        BinaryPrimitives.WriteInt64LittleEndian(fields, send.Previous);
        BinaryPrimitives.WriteUInt64LittleEndian(fields[sizeof(long)..], send.SenderId);
        var midLength = send.Mid is { } mid ? Encoding.UTF8.GetBytes(mid, fields[((sizeof(long) * 2) + 1)..]) : 0;
        fields[sizeof(long) * 2] = checked((byte)midLength);
        return Sequenced(send.Receiver, send.Sequence, fields[..((sizeof(long) * 2) + 1 + midLength)], send.Payload);
    }

    private static RouteSend ReadRouteSend(ulong receiver, ReadOnlySpan<byte> rest)
    {
        // rest: [sequence: 8][previous: 8][sender id: 8][mid length: 1][mid][payload].
        const int MidAt = (sizeof(long) * 3) + 1;
        var midLength = rest[MidAt - 1];
        return new RouteSend(receiver, rest[(MidAt + midLength)..].ToArray(), SequenceOf(rest), BinaryPrimitives.ReadInt64LittleEndian(rest[sizeof(long)..]))
        {
            SenderId = BinaryPrimitives.ReadUInt64LittleEndian(rest[(sizeof(long) * 2)..]),
            Mid = midLength == 0 ? null : Encoding.UTF8.GetString(rest.Slice(MidAt, midLength)),
        };
    }

    // [user id: 8][opts in: 1][seq: 8][strings: session path, epoch ("" = none)].
    private static byte[] ClaimBytes(ClaimSession claim)
    {
        var strings = Strings(AkkaSerialization.SerializedActorPath(claim.Session), claim.Resume.Epoch ?? string.Empty);
        var bytes = new byte[sizeof(ulong) + 1 + sizeof(ulong) + strings.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claim.UserId);
        bytes[sizeof(ulong)] = claim.Resume.OptsIn ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(sizeof(ulong) + 1), claim.Resume.Seq);
        strings.CopyTo(bytes.AsSpan(sizeof(ulong) + 1 + sizeof(ulong)));
        return bytes;
    }

    private ClaimSession ReadClaim(ulong userId, ReadOnlySpan<byte> rest)
    {
        var strings = ReadStrings(rest[(1 + sizeof(ulong))..]);
        var resume = rest[0] == 1
            ? new ResumeRequest(true, BinaryPrimitives.ReadUInt64LittleEndian(rest[1..]), strings[1].Length == 0 ? null : strings[1], null)
            : ResumeRequest.None;
        return new ClaimSession(userId, Resolve(strings[0])) { Resume = resume };
    }

    // [user id: 8][has inbox: 1][sessions: 4][strings: the sessions' paths, then the readers' paths].
    private static byte[] ReportBytes(SessionsReport report)
    {
        var paths = report.Sessions.Concat(report.Readers).Select(AkkaSerialization.SerializedActorPath).ToArray();
        var strings = Strings(paths);
        var bytes = new byte[sizeof(ulong) + 1 + sizeof(int) + strings.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, report.UserId);
        bytes[sizeof(ulong)] = report.HasInbox ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(sizeof(ulong) + 1), report.Sessions.Count);
        strings.CopyTo(bytes.AsSpan(sizeof(ulong) + 1 + sizeof(int)));
        return bytes;
    }

    private SessionsReport ReadReport(ulong userId, ReadOnlySpan<byte> rest)
    {
        var sessionCount = BinaryPrimitives.ReadInt32LittleEndian(rest[1..]);
        var refs = ReadStrings(rest[(1 + sizeof(int))..]).Select(Resolve).ToArray();
        return new SessionsReport(userId, refs[..sessionCount]) { Readers = refs[sessionCount..], HasInbox = rest[0] == 1 };
    }

    // [first: 8][last: 8][kept: 4][readers: 4][epoch, UTF-8, empty when the user has no inbox].
    private static byte[] StatusBytes(InboxStatus status)
    {
        var epoch = Encoding.UTF8.GetBytes(status.Epoch ?? string.Empty);
        var bytes = new byte[(sizeof(ulong) * 2) + (sizeof(int) * 2) + epoch.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, status.First);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(sizeof(ulong)), status.Last);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(sizeof(ulong) * 2), status.Kept);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((sizeof(ulong) * 2) + sizeof(int)), status.Readers);
        epoch.CopyTo(bytes.AsSpan((sizeof(ulong) * 2) + (sizeof(int) * 2)));
        return bytes;
    }

    private static InboxStatus ReadStatus(ReadOnlySpan<byte> span)
    {
        var epoch = span[((sizeof(ulong) * 2) + (sizeof(int) * 2))..];
        return new InboxStatus(
            epoch.Length == 0 ? null : Encoding.UTF8.GetString(epoch),
            BinaryPrimitives.ReadUInt64LittleEndian(span),
            BinaryPrimitives.ReadUInt64LittleEndian(span[sizeof(ulong)..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[(sizeof(ulong) * 2)..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[((sizeof(ulong) * 2) + sizeof(int))..]));
    }

    // [first: 8][last: 8][gap: 1][epoch length: 1][epoch][header frame].
    private static byte[] ReaderOpenedBytes(InboxReaderOpened opened)
    {
        var epoch = Encoding.UTF8.GetBytes(opened.Epoch);
        const int EpochAt = (sizeof(ulong) * 2) + 2;
        var bytes = new byte[EpochAt + epoch.Length + opened.Header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, opened.First);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(sizeof(ulong)), opened.Last);
        bytes[sizeof(ulong) * 2] = opened.Gap ? (byte)1 : (byte)0;
        bytes[(sizeof(ulong) * 2) + 1] = checked((byte)epoch.Length);
        epoch.CopyTo(bytes.AsSpan(EpochAt));
        opened.Header.CopyTo(bytes.AsSpan(EpochAt + epoch.Length));
        return bytes;
    }

    private static InboxReaderOpened ReadReaderOpened(ReadOnlySpan<byte> span)
    {
        const int EpochAt = (sizeof(ulong) * 2) + 2;
        var epochLength = span[EpochAt - 1];
        return new InboxReaderOpened(
            Encoding.UTF8.GetString(span.Slice(EpochAt, epochLength)),
            BinaryPrimitives.ReadUInt64LittleEndian(span),
            BinaryPrimitives.ReadUInt64LittleEndian(span[sizeof(ulong)..]),
            span[sizeof(ulong) * 2] == 1,
            span[(EpochAt + epochLength)..].ToArray());
    }

    // [number: 8][payload].
    private static byte[] Sequenced(ulong number, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[sizeof(ulong) + payload.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, number);
        payload.CopyTo(bytes.AsSpan(sizeof(ulong)));
        return bytes;
    }

    private static byte[] Int32s(params int[] values)
    {
        var bytes = new byte[values.Length * sizeof(int)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), values[i]);
        }

        return bytes;
    }

    // A list of strings: a 32-bit count, then per string a 32-bit byte length and its UTF-8 bytes.
    private static byte[] Strings(params string[] values)
    {
        var length = sizeof(int) + values.Sum(v => sizeof(int) + Encoding.UTF8.GetByteCount(v));
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, values.Length);
        span = span[sizeof(int)..];
        foreach (var value in values)
        {
            var written = Encoding.UTF8.GetBytes(value, span[sizeof(int)..]);
            BinaryPrimitives.WriteInt32LittleEndian(span, written);
            span = span[(sizeof(int) + written)..];
        }

        return bytes;
    }

    private static string[] ReadStrings(ReadOnlySpan<byte> span)
    {
        var values = new string[BinaryPrimitives.ReadInt32LittleEndian(span)];
        span = span[sizeof(int)..];
        for (var i = 0; i < values.Length; i++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(span);
            values[i] = Encoding.UTF8.GetString(span.Slice(sizeof(int), length));
            span = span[(sizeof(int) + length)..];
        }

        return values;
    }
}
