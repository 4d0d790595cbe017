using Akka.Relay.Testing.Stores;
using System.Text;
using Akka.Actor;
using Akka.Relay.Actors.Inbox;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The inbox on a real SQLite file through the relay journal (InboxStore) and hocon/inbox.hocon.</summary>
public sealed class SqliteInboxSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Timeout = InboxSteps.Timeout;

    private readonly string _database;

    public SqliteInboxSpec(ITestOutputHelper output)
        : this(output, Path.Combine(Path.GetTempPath(), $"relay-inbox-test-{Guid.NewGuid():N}.db"))
    {
    }

    private SqliteInboxSpec(ITestOutputHelper output, string database)
        : base(SqlStoreConfig.For("sqlite", "Data Source=" + database), output: output)
    {
        _database = database;
    }

    [Fact]
    public async Task After_more_than_max_messages_and_a_restart_recovery_yields_exactly_the_kept_ones_and_the_journal_stays_bounded()
    {
        var settings = InboxSettings.Default with { MaxMessages = 10 };
        var inbox = Sys.ActorOf(InboxActor.GetProps(1, settings));
        var epoch = await InboxSteps.CreateAsync(this, inbox);

        await InboxSteps.AppendManyAsync(this, inbox, 1, 35);

        // Snapshots every 10 messages, each followed by deleting the journal and the snapshots before it. Messages that
        // arrive during a write are stored as one event, so the journal may be empty right after the last snapshot.
        await AwaitAssertAsync(() =>
        {
            Assert.InRange(CountRows("inbox_journal"), 0, settings.EffectiveSnapshotEvery + 1);
            Assert.Equal(1, CountRows("inbox_snapshot"));
        }, Timeout, TimeSpan.FromMilliseconds(200));
        Output?.WriteLine($"after 35 appends (MaxMessages 10): journal rows {CountRows("inbox_journal")}, snapshot rows {CountRows("inbox_snapshot")}");
        await InboxSteps.StopAsync(this, inbox);

        var recovered = Sys.ActorOf(InboxActor.GetProps(1, settings));
        Assert.Equal(new InboxStatus(epoch, 26, 35, 10, 0), await recovered.Ask<InboxStatus>(GetInboxStatus.Instance, Timeout));
        var reader = CreateTestProbe();
        recovered.Tell(new OpenInboxReader(0, epoch, reader.Ref));
        var opened = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((26UL, 35UL, true), (opened.First, opened.Last, opened.Gap));
        for (ulong seq = 26; seq <= 35; seq++)
        {
            var delivery = await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
            Assert.Equal(seq, delivery.Seq);
            Assert.Equal($$"""{"seq":{{seq}},"sender":3,"type":1,"receiver":1,"content":"m{{seq}}"}""", Encoding.UTF8.GetString(delivery.Payload));
        }
    }

    [Fact]
    public async Task Recovery_of_1000_stored_messages_is_measured()
    {
        // Not an assertion on time (a shared machine): the numbers are printed for docs/inbox.md.
        // Default settings: a snapshot every 1000 events, so 1000 messages recover from one snapshot plus a few events;
        // the worst case is a snapshot plus almost 1000 events, measured with the journal alone (no snapshot).
        var snapshot = await InboxSteps.MeasureRecoveryOf1000Async(this, 1, InboxSettings.Default);
        var journalOnly = await InboxSteps.MeasureRecoveryOf1000Async(this, 2, InboxSettings.Default with { SnapshotEvery = int.MaxValue });
        Output?.WriteLine($"SQLite recovery of 1000 messages: from a snapshot {snapshot}, from 1000 journal events {journalOnly}");
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm", _database + "-journal" })
        {
            File.Delete(file);
        }
    }

    private long CountRows(string table)
    {
        using var connection = new SqliteConnection("Data Source=" + _database);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return (long)command.ExecuteScalar()!;
    }
}
