using Akka.Relay.Testing.Stores;
using System.Text;
using Akka.Relay.Actors.Inbox;
using Akka.Serialization;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The stored events and snapshot go through <see cref="InboxSerializer"/> under stable manifests, as hocon/inbox.hocon binds them.</summary>
public sealed class InboxSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    public InboxSerializerSpec(ITestOutputHelper output)
        : base(SqlStoreConfig.For("sqlite", "Data Source=unused.db"), output: output)
    {
    }

    public static TheoryData<object, string> Stored => new()
    {
        { new InboxOpened("ABCDEFGHJKMNPQRS", new DateTime(2026, 12, 5, 1, 2, 3, DateTimeKind.Utc)), "inbox-opened.v1" },
        { new ReaderActivity(new DateTime(2026, 12, 5, 1, 2, 3, DateTimeKind.Utc)), "reader-activity.v1" },
        { new InboxExpired(new DateTime(2026, 12, 5, 1, 2, 3, DateTimeKind.Utc)), "inbox-expired.v1" },
    };

    [Theory]
    [MemberData(nameof(Stored))]
    public void Each_event_has_its_stable_manifest_and_reads_back_equal(object stored, string manifest)
    {
        var serializer = Sys.Serialization.FindSerializerFor(stored);

        Assert.IsType<InboxSerializer>(serializer);
        Assert.Equal(manifest, ((SerializerWithStringManifest)serializer).Manifest(stored));
        Assert.Equal(stored, Sys.Serialization.Deserialize(serializer.ToBinary(stored), serializer.Identifier, manifest));
    }

    [Fact]
    public void A_stored_message_and_a_snapshot_keep_their_bytes()
    {
        var payload = Encoding.UTF8.GetBytes("""{"type":1,"receiver":7,"content":"hi","sender":3}""");
        var message = new MessageStored(3, "m-1", payload, new DateTime(2026, 12, 5, 1, 2, 3, DateTimeKind.Utc), ReadersLive: true);
        var at = new DateTime(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc).AddTicks(1234567);
        var snapshot = new InboxSnapshot("E", 2, at.AddTicks(1), [
            new StoredMessage(1, 3, "m-1", payload, at, true),
            new StoredMessage(2, ulong.MaxValue, null, new byte[300], at.AddTicks(7), false),
        ]);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var read = (MessageStored)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, "message-stored.v1");
        Assert.Equal("inbox-snapshot.v2", ((SerializerWithStringManifest)serializer).Manifest(snapshot));
        var readSnapshot = (InboxSnapshot)Sys.Serialization.Deserialize(serializer.ToBinary(snapshot), serializer.Identifier, "inbox-snapshot.v2");

        Assert.Equal((message.Sender, message.Mid, message.At, message.ReadersLive), (read.Sender, read.Mid, read.At, read.ReadersLive));
        Assert.Equal(payload, read.Payload);
        Assert.Equal(("E", 2UL, at.AddTicks(1)), (readSnapshot.Epoch, readSnapshot.Last, readSnapshot.LastActivity));
        Assert.Equal(
            snapshot.Messages.Select(m => (m.Seq, m.Sender, m.Mid, m.At, m.ReadersLive, Encoding.UTF8.GetString(m.Payload))),
            readSnapshot.Messages.Select(m => (m.Seq, m.Sender, m.Mid, m.At, m.ReadersLive, Encoding.UTF8.GetString(m.Payload))));
        Assert.All(readSnapshot.Messages, m => Assert.Equal(DateTimeKind.Utc, m.At.Kind));

        var empty = (InboxSnapshot)Sys.Serialization.Deserialize(serializer.ToBinary(new InboxSnapshot(null, 0, at, [])), serializer.Identifier, "inbox-snapshot.v2");
        Assert.Equal((null, 0UL, 0), (empty.Epoch, empty.Last, empty.Messages.Length));
    }

    [Fact]
    public void A_batch_of_stored_messages_keeps_each_message_in_order()
    {
        var at = new DateTime(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc);
        var batch = new MessagesStored([
            new MessageStored(3, "a", Encoding.UTF8.GetBytes("""{"content":"1"}"""), at, ReadersLive: true),
            new MessageStored(4, null, Encoding.UTF8.GetBytes("""{"content":"2"}"""), at.AddTicks(1), ReadersLive: false),
            new MessageStored(5, "ünïcode-mid", Encoding.UTF8.GetBytes("""{"content":"3"}"""), at, ReadersLive: false),
        ]);
        var serializer = Sys.Serialization.FindSerializerFor(batch);

        Assert.Equal("messages-stored.v2", ((SerializerWithStringManifest)serializer).Manifest(batch));
        var bytes = serializer.ToBinary(batch);
        var read = (MessagesStored)Sys.Serialization.Deserialize(bytes, serializer.Identifier, "messages-stored.v2");

        Assert.Equal([(3UL, "a", true, at), (4UL, null, false, at.AddTicks(1)), (5UL, "ünïcode-mid", false, at)], read.Messages.Select(m => (m.Sender, m.Mid, m.ReadersLive, m.At)));
        Assert.Equal(["""{"content":"1"}""", """{"content":"2"}""", """{"content":"3"}"""], read.Messages.Select(m => Encoding.UTF8.GetString(m.Payload)));
        // The payloads' bytes as they are, plus fixed fields: smaller than the JSON (base64) it replaced.
        Assert.True(bytes.Length < System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(batch).Length / 2, $"{bytes.Length} bytes");
    }

    [Fact]
    public void A_cut_or_padded_version_2_record_is_a_serialization_error_not_a_crash()
    {
        var at = new DateTime(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc);
        var batch = new MessagesStored([new MessageStored(3, "a", Encoding.UTF8.GetBytes("""{"content":"1"}"""), at, ReadersLive: true)]);
        var serializer = Sys.Serialization.FindSerializerFor(batch);
        var bytes = serializer.ToBinary(batch);

        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = bytes[..length];
            Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize(cut, serializer.Identifier, "messages-stored.v2"));
        }

        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize([.. bytes, 0], serializer.Identifier, "messages-stored.v2"));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], serializer.Identifier, "inbox-snapshot.v2"));
    }

    [Fact]
    public void The_version_1_layouts_of_a_batch_and_a_snapshot_still_read()
    {
        // What the store holds from before version 2: JSON of the records as they were.
        var batch = """{"Messages":[{"Sender":3,"Mid":"a","Payload":"eyJ0eXBlIjoxfQ==","At":"2026-12-05T01:02:03Z","ReadersLive":true}]}""";
        var snapshot = """{"Epoch":"E","Last":7,"LastActivity":"2026-12-05T01:02:03Z","Messages":[{"Seq":7,"Sender":3,"Mid":null,"Payload":"eyJ0eXBlIjoxfQ==","At":"2026-12-05T01:02:03Z","ReadersLive":false}]}""";

        var readBatch = (MessagesStored)Sys.Serialization.Deserialize(Encoding.UTF8.GetBytes(batch), InboxSerializer.Id, "messages-stored.v1");
        var readSnapshot = (InboxSnapshot)Sys.Serialization.Deserialize(Encoding.UTF8.GetBytes(snapshot), InboxSerializer.Id, "inbox-snapshot.v1");

        var message = Assert.Single(readBatch.Messages);
        Assert.Equal((3UL, "a", true, """{"type":1}"""), (message.Sender, message.Mid, message.ReadersLive, Encoding.UTF8.GetString(message.Payload)));
        Assert.Equal(("E", 7UL), (readSnapshot.Epoch, readSnapshot.Last));
        var kept = Assert.Single(readSnapshot.Messages);
        Assert.Equal((7UL, 3UL, (string?)null, """{"type":1}"""), (kept.Seq, kept.Sender, kept.Mid, Encoding.UTF8.GetString(kept.Payload)));
    }

    [Fact]
    public void The_version_1_layout_of_a_stored_message_still_reads()
    {
        // What the store holds for a v1 MessageStored: a rename of a type or property must keep reading it.
        var v1 = """{"Sender":3,"Mid":null,"Payload":"eyJ0eXBlIjoxfQ==","At":"2026-12-05T01:02:03Z","ReadersLive":false}""";

        var read = (MessageStored)Sys.Serialization.Deserialize(Encoding.UTF8.GetBytes(v1), InboxSerializer.Id, "message-stored.v1");

        Assert.Equal(3UL, read.Sender);
        Assert.Equal("""{"type":1}""", Encoding.UTF8.GetString(read.Payload));
        Assert.False(read.ReadersLive);
    }
}
