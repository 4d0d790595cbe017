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
        var snapshot = new InboxSnapshot("E", 1, message.At, [new StoredMessage(1, 3, "m-1", payload, message.At, true)]);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var read = (MessageStored)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, "message-stored.v1");
        var readSnapshot = (InboxSnapshot)Sys.Serialization.Deserialize(serializer.ToBinary(snapshot), serializer.Identifier, "inbox-snapshot.v1");

        Assert.Equal((message.Sender, message.Mid, message.At, message.ReadersLive), (read.Sender, read.Mid, read.At, read.ReadersLive));
        Assert.Equal(payload, read.Payload);
        Assert.Equal(payload, Assert.Single(readSnapshot.Messages).Payload);
        Assert.Equal(("E", 1UL), (readSnapshot.Epoch, readSnapshot.Last));
    }

    [Fact]
    public void A_batch_of_stored_messages_keeps_each_message_in_order()
    {
        var at = new DateTime(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc);
        var batch = new MessagesStored([
            new MessageStored(3, "a", Encoding.UTF8.GetBytes("""{"content":"1"}"""), at, ReadersLive: true),
            new MessageStored(4, null, Encoding.UTF8.GetBytes("""{"content":"2"}"""), at, ReadersLive: false),
        ]);
        var serializer = Sys.Serialization.FindSerializerFor(batch);

        Assert.Equal("messages-stored.v1", ((SerializerWithStringManifest)serializer).Manifest(batch));
        var read = (MessagesStored)Sys.Serialization.Deserialize(serializer.ToBinary(batch), serializer.Identifier, "messages-stored.v1");

        Assert.Equal([(3UL, "a", true), (4UL, null, false)], read.Messages.Select(m => (m.Sender, m.Mid, m.ReadersLive)));
        Assert.Equal(["""{"content":"1"}""", """{"content":"2"}"""], read.Messages.Select(m => Encoding.UTF8.GetString(m.Payload)));
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
