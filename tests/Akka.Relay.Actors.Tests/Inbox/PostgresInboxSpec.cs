using Akka.Relay.Testing.Stores;
using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Relay.Actors.Inbox;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The inbox on a real PostgreSQL server (the cluster's store) through the relay journal (InboxStore) and hocon/inbox.hocon.</summary>
public sealed class PostgresInboxSpec : Akka.TestKit.Xunit2.TestKit, IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly PostgresServer _server;

    public PostgresInboxSpec(PostgresServer server, ITestOutputHelper output)
        : base(SqlStoreConfig.For("postgresql", server.ConnectionString), output: output)
    {
        _server = server;
    }

    [Fact]
    public async Task Appends_survive_a_restart_and_recover_with_their_seqs_retention_and_duplicates()
    {
        var settings = InboxSettings.Default with { MaxMessages = 5 };
        var inbox = Sys.ActorOf(InboxActor.GetProps(11, settings));
        var creator = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(0, null, creator.Ref));
        var epoch = (await creator.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        inbox.Tell(new CloseInboxReader(creator.Ref));
        var sender = CreateTestProbe();
        for (var i = 1; i <= 12; i++)
        {
            inbox.Tell(new AppendToInbox(i, 3, "m" + i, Message(i)), sender.Ref);
        }

        for (var i = 1; i <= 12; i++)
        {
            Assert.Equal((ulong)i, (await sender.ExpectMsgAsync<InboxAppended>(Timeout)).Seq);
        }

        await InboxSteps.StopAsync(this, inbox);
        var watch = Stopwatch.StartNew();
        var recovered = Sys.ActorOf(InboxActor.GetProps(11, settings));
        Assert.Equal(new InboxStatus(epoch, 8, 12, 5, 0), await recovered.Ask<InboxStatus>(GetInboxStatus.Instance, Timeout));
        Output?.WriteLine($"PostgreSQL {_server.Version}: recovered in {watch.Elapsed.TotalMilliseconds:F0} ms");

        recovered.Tell(new AppendToInbox(100, 3, "m12", Message(12)), sender.Ref);
        Assert.Equal(new InboxAppended(100, 12, false, true), await sender.ExpectMsgAsync<InboxAppended>(Timeout));
        recovered.Tell(new AppendToInbox(101, 3, "m13", Message(13)), sender.Ref);
        Assert.Equal(13UL, (await sender.ExpectMsgAsync<InboxAppended>(Timeout)).Seq);

        var reader = CreateTestProbe();
        recovered.Tell(new OpenInboxReader(10, epoch, reader.Ref));
        var opened = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((11UL, 13UL, false), (opened.First, opened.Last, opened.Gap));
        for (ulong seq = 11; seq <= 13; seq++)
        {
            var delivery = await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
            Assert.Equal($$"""{"seq":{{seq}},"sender":3,"type":1,"receiver":11,"content":"m{{seq}}"}""", Encoding.UTF8.GetString(delivery.Payload));
        }
    }

    [Fact]
    public async Task Recovery_of_1000_stored_messages_is_measured()
    {
        // Printed for docs/inbox.md, never asserted (a shared machine); see SqliteInboxSpec for the cases.
        var snapshot = await InboxSteps.MeasureRecoveryOf1000Async(this, 21, InboxSettings.Default);
        var journalOnly = await InboxSteps.MeasureRecoveryOf1000Async(this, 22, InboxSettings.Default with { SnapshotEvery = int.MaxValue });
        Output?.WriteLine($"PostgreSQL {_server.Version} recovery of 1000 messages: from a snapshot {snapshot}, from 1000 journal events {journalOnly}");
    }

    private static byte[] Message(int i) => InboxSteps.Message(11, "m" + i);
}
