using System.Buffers.Binary;
using System.Text;
using Akka.Actor;
using Akka.Relay.Actors.Directory;
using Akka.Relay.Actors.Hub;
using Akka.Serialization;
using AkkaSerialization = Akka.Serialization.Serialization;

namespace Akka.Relay.Cluster.Serialization;

/// <summary>
/// Compact binary encoding of the messages that cross nodes: SENDs, deliveries and acks on the
/// hot path carry the client's bytes untouched (a <see cref="Deliver"/> is its payload and
/// nothing else), instead of the default JSON serializer's base64.
/// </summary>
public sealed class RelayMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer's id in <c>akka.actor.serialization-identifiers</c> (user ids start above 100).</summary>
    public const int Id = 8_080;

    /// <summary>The message types this serializer is bound to.</summary>
    public static readonly Type[] MessageTypes =
    [
        typeof(RouteSend), typeof(SendRouted), typeof(Deliver), typeof(FanOut),
        typeof(ClaimSession), typeof(SessionClaimed), typeof(ClaimRefused), typeof(ReleaseSession),
        typeof(ReportSessions), typeof(SessionsReport),
        typeof(GetUserSessions), typeof(UserSessions), typeof(GetHubStats), typeof(HubStats),
    ];

    private const string SendManifest = "S";
    private const string RoutedManifest = "A";
    private const string DeliverManifest = "D";
    private const string FanOutManifest = "F";
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
        Deliver => DeliverManifest,
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
        _ => throw new ArgumentException($"Cannot serialize {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        // The payload is immutable and shared: send it as it is.
        Deliver m => m.Payload,
        FanOut m => m.Payload,
        RouteSend m => WithUserId(m.Receiver, Sequenced(m.Sequence, m.Session, m.Payload)),
        SendRouted m => WithUserId(m.Receiver, Sequenced(m.Sequence, m.Session, [m.Delivered ? (byte)1 : (byte)0])),
        ClaimSession m => WithUserId(m.UserId, Path(m.Session)),
        SessionClaimed m => WithUserId(m.UserId, Path(m.Session)),
        ReleaseSession m => WithUserId(m.UserId, Path(m.Session)),
        ClaimRefused m => WithUserId(m.UserId, Strings(AkkaSerialization.SerializedActorPath(m.Session), m.Detail)),
        ReportSessions m => WithUserId(m.UserId, []),
        SessionsReport m => WithUserId(m.UserId, Strings(m.Sessions.Select(AkkaSerialization.SerializedActorPath).ToArray())),
        GetUserSessions m => WithUserId(m.UserId, []),
        UserSessions m => WithUserId(m.UserId, Int32s(m.Sessions)),
        GetHubStats => [],
        HubStats m => Int32s(m.Users, m.Sessions),
        _ => throw new ArgumentException($"Cannot serialize {obj.GetType()}", nameof(obj)),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        switch (manifest)
        {
            case DeliverManifest:
                return new Deliver(bytes);
            case FanOutManifest:
                return new FanOut(bytes);
            case StatsQueryManifest:
                return GetHubStats.Instance;
            case StatsAnswerManifest:
                return new HubStats(BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(sizeof(int))));
        }

        var userId = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var rest = bytes.AsSpan(sizeof(ulong));
        return manifest switch
        {
            SendManifest => ReadSequenced(rest, (sequence, session, tail) => new RouteSend(userId, tail.ToArray(), session, sequence)),
            RoutedManifest => ReadSequenced(rest, (sequence, session, tail) => new SendRouted(userId, session, sequence, tail[0] == 1)),
            ClaimManifest => new ClaimSession(userId, Resolve(Encoding.UTF8.GetString(rest))),
            ClaimedManifest => new SessionClaimed(userId, Resolve(Encoding.UTF8.GetString(rest))),
            ReleaseManifest => new ReleaseSession(userId, Resolve(Encoding.UTF8.GetString(rest))),
            RefusedManifest => ReadRefused(userId, ReadStrings(rest)),
            ReportQueryManifest => new ReportSessions(userId),
            ReportManifest => new SessionsReport(userId, ReadStrings(rest).Select(Resolve).ToArray()),
            UserQueryManifest => new GetUserSessions(userId),
            UserAnswerManifest => new UserSessions(userId, BinaryPrimitives.ReadInt32LittleEndian(rest)),
            _ => throw new System.Runtime.Serialization.SerializationException($"Unknown manifest '{manifest}'"),
        };
    }

    private delegate object SequencedFactory(long sequence, IActorRef session, ReadOnlySpan<byte> tail);

    // [sequence: 8][session path length: 4][session path][tail]
    private static byte[] Sequenced(long sequence, IActorRef session, ReadOnlySpan<byte> tail)
    {
        var path = Path(session);
        var bytes = new byte[sizeof(long) + sizeof(int) + path.Length + tail.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, sequence);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(sizeof(long)), path.Length);
        path.CopyTo(bytes.AsSpan(sizeof(long) + sizeof(int)));
        tail.CopyTo(bytes.AsSpan(sizeof(long) + sizeof(int) + path.Length));
        return bytes;
    }

    private object ReadSequenced(ReadOnlySpan<byte> span, SequencedFactory create)
    {
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(span);
        var pathLength = BinaryPrimitives.ReadInt32LittleEndian(span[sizeof(long)..]);
        var session = Resolve(Encoding.UTF8.GetString(span.Slice(sizeof(long) + sizeof(int), pathLength)));
        return create(sequence, session, span[(sizeof(long) + sizeof(int) + pathLength)..]);
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
