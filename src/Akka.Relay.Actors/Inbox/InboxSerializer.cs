using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// Writes the inbox's events and snapshot under stable, versioned manifests (<c>inbox-opened.v1</c>, ...), so a renamed
/// or moved CLR type still reads what the store holds. The rare records are JSON whose field names are the records'
/// property names (renaming one needs a new manifest version and a reader for the old one); a batch of messages and a
/// snapshot, written for every message, use <see cref="InboxBinaryFormat"/> (version 2); their JSON version 1 still reads.
/// </summary>
public sealed class InboxSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer's id in <c>akka.actor.serialization-identifiers</c> (user ids start above 100).</summary>
    public const int Id = 8_081;

    private const string OpenedManifest = "inbox-opened.v1";
    private const string StoredManifest = "message-stored.v1";
    private const string BatchManifest = "messages-stored.v2";
    private const string JsonBatchManifest = "messages-stored.v1";
    private const string ActivityManifest = "reader-activity.v1";
    private const string ExpiredManifest = "inbox-expired.v1";
    private const string SnapshotManifest = "inbox-snapshot.v2";
    private const string JsonSnapshotManifest = "inbox-snapshot.v1";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    /// <summary>Creates the serializer for <paramref name="system"/>.</summary>
    public InboxSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        InboxOpened => OpenedManifest,
        MessageStored => StoredManifest,
        MessagesStored => BatchManifest,
        ReaderActivity => ActivityManifest,
        InboxExpired => ExpiredManifest,
        InboxSnapshot => SnapshotManifest,
        _ => throw new ArgumentException($"InboxSerializer cannot write {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        MessagesStored batch => InboxBinaryFormat.Write(batch),
        InboxSnapshot snapshot => InboxBinaryFormat.Write(snapshot),
        _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        OpenedManifest => Read<InboxOpened>(bytes),
        StoredManifest => Read<MessageStored>(bytes),
        BatchManifest => InboxBinaryFormat.ReadBatch(bytes),
        JsonBatchManifest => Read<MessagesStored>(bytes),
        ActivityManifest => Read<ReaderActivity>(bytes),
        ExpiredManifest => Read<InboxExpired>(bytes),
        SnapshotManifest => InboxBinaryFormat.ReadSnapshot(bytes),
        JsonSnapshotManifest => Read<InboxSnapshot>(bytes),
        _ => throw new System.Runtime.Serialization.SerializationException($"InboxSerializer does not know the manifest '{manifest}'"),
    };

    private static T Read<T>(byte[] bytes) =>
        JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new System.Runtime.Serialization.SerializationException($"empty {typeof(T).Name} in the inbox store");
}
