using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Relay.Server.Hosting;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Server.Tests.InboxStore;

/// <summary>
/// The relay's journal and snapshot store (src/Akka.Relay.Server/InboxStore) through Akka.Persistence's protocols and
/// real persistent actors, configured by hocon/inbox.hocon; run on each store by a subclass.
/// </summary>
public abstract class InboxJournalSpec : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>Generous: a shared, loaded machine.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string FailingSerializerConfig = """
        akka.actor.serializers.failing = "Akka.Relay.Server.Tests.InboxStore.FailingSerializer, Akka.Relay.Server.Tests"
        akka.actor.serialization-bindings { "Akka.Relay.Server.Tests.InboxStore.Unserializable, Akka.Relay.Server.Tests" = failing }
        """;

    private readonly string _writerGuid = Guid.NewGuid().ToString("N");
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    /// <summary>A spec on the store <paramref name="store"/> configures.</summary>
    protected InboxJournalSpec(Config store, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(FailingSerializerConfig).WithFallback(store), output: output)
    {
    }

    private IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    private IActorRef SnapshotStore => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    [Fact]
    public async Task Events_replay_in_order_within_the_asked_range_and_count()
    {
        var id = Id("order");
        await WriteAsync(Atomic(id, 1, 1), Atomic(id, 2, 3), Atomic(id, 4, 5));

        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [1L, 2, 3, 4, 5], 5);
        await AssertReplayAsync(id, 2, 4, long.MaxValue, [2L, 3, 4], 5);
        await AssertReplayAsync(id, 3, long.MaxValue, 2, [3L, 4], 5);
        await AssertReplayAsync(id, 6, long.MaxValue, long.MaxValue, [], 5);
        await AssertReplayAsync(Id("never"), 1, long.MaxValue, long.MaxValue, [], 0);
    }

    [Fact]
    public async Task Deletes_remove_the_rows_and_the_highest_number_survives_deleting_all_of_them()
    {
        var id = Id("delete");
        await WriteAsync(Atomic(id, 1, 5));

        await DeleteAsync(id, 2);
        Assert.Equal(3, CountRows("inbox_journal", id));
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [3L, 4, 5], 5);

        await DeleteAsync(id, 5);
        Assert.Equal(0, CountRows("inbox_journal", id));
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [], 5);

        // A later, lower delete does not lower it; the next write continues after it.
        await DeleteAsync(id, 1);
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [], 5);
        await WriteAsync(Atomic(id, 6, 6));
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [6L], 6);
    }

    [Fact]
    public async Task An_atomic_write_of_several_events_is_stored_whole_and_a_rejected_one_is_the_only_one_missing()
    {
        var id = Id("atomic");
        var other = Id("atomic-other");
        var probe = CreateTestProbe();
        var broken = new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(
            Event(other, 1, "fine"), Event(other, 2, new Unserializable("one bad event rejects its whole write"))));
        Journal.Tell(new WriteMessages([Atomic(id, 1, 3), broken, Atomic(id, 4, 4)], probe.Ref, 1));

        await probe.ExpectMsgAsync<WriteMessagesSuccessful>(Timeout);
        var replies = new List<object>();
        for (var i = 0; i < 6; i++)
        {
            replies.Add(await probe.ExpectMsgAsync<object>(Timeout));
        }

        Assert.Equal([1L, 2, 3, 4], replies.OfType<WriteMessageSuccess>().Select(s => s.Persistent.SequenceNr));
        Assert.Equal([1L, 2], replies.OfType<WriteMessageRejected>().Select(r => r.Persistent.SequenceNr));
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [1L, 2, 3, 4], 4);
        Assert.Equal(0, CountRows("inbox_journal", other));
    }

    [Fact]
    public async Task A_second_writer_of_a_taken_sequence_number_fails_and_the_stored_events_stay()
    {
        var id = Id("conflict");
        var bystander = Id("bystander");
        await WriteAsync(Atomic(id, 1, 2));

        var probe = CreateTestProbe();
        var bystanderProbe = CreateTestProbe();
        Journal.Tell(new WriteMessages([Atomic(id, 2, 3, "second writer")], probe.Ref, 1));
        Journal.Tell(new WriteMessages([Atomic(bystander, 1, 1)], bystanderProbe.Ref, 1));

        await probe.ExpectMsgAsync<WriteMessagesFailed>(Timeout);
        await bystanderProbe.ExpectMsgAsync<WriteMessagesSuccessful>(Timeout);
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [1L, 2], 2);
        await AssertReplayAsync(bystander, 1, long.MaxValue, long.MaxValue, [1L], 1);
    }

    [Fact]
    public async Task Many_persistent_actors_writing_at_once_are_all_acknowledged_and_recover_in_order()
    {
        const int Actors = 40;
        const int Events = 50;
        var ids = Enumerable.Range(0, Actors).Select(i => Id("many-" + i)).ToArray();
        var actors = ids.Select(id => Sys.ActorOf(CountingActor.GetProps(id))).ToArray();
        var probes = ids.Select(_ => CreateTestProbe()).ToArray();
        for (var e = 1; e <= Events; e++)
        {
            for (var a = 0; a < Actors; a++)
            {
                actors[a].Tell("e" + e, probes[a].Ref);
            }
        }

        for (var a = 0; a < Actors; a++)
        {
            var acks = new List<long>();
            for (var e = 1; e <= Events; e++)
            {
                acks.Add(await probes[a].ExpectMsgAsync<long>(Timeout));
            }

            Assert.Equal(Enumerable.Range(1, Events).Select(i => (long)i), acks);
        }

        foreach (var actor in actors)
        {
            await StopAsync(actor);
        }

        var expected = Enumerable.Range(1, Events).Select(i => "e" + i).ToArray();
        foreach (var id in ids)
        {
            var recovered = Sys.ActorOf(CountingActor.GetProps(id));
            Assert.Equal(expected, await recovered.Ask<string[]>("state", Timeout));
            Assert.Equal(Events, CountRows("inbox_journal", id));
        }
    }

    [Fact]
    public async Task An_actor_with_1000_events_recovers_them_all_in_order()
    {
        var id = Id("thousand");
        var actor = Sys.ActorOf(CountingActor.GetProps(id));
        var probe = CreateTestProbe();
        for (var i = 1; i <= 1000; i++)
        {
            actor.Tell("e" + i, probe.Ref);
        }

        for (var i = 1; i <= 1000; i++)
        {
            Assert.Equal(i, await probe.ExpectMsgAsync<long>(Timeout));
        }

        await StopAsync(actor);
        var recovered = Sys.ActorOf(CountingActor.GetProps(id));
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => "e" + i), await recovered.Ask<string[]>("state", Timeout));
        recovered.Tell("next", probe.Ref);
        Assert.Equal(1001L, await probe.ExpectMsgAsync<long>(Timeout));
    }

    [Fact]
    public async Task A_write_while_the_store_is_unavailable_fails_and_a_later_one_succeeds_without_a_restart()
    {
        var id = Id("outage");
        await WriteAsync(Atomic(id, 1, 1));
        var journal = Journal;
        Watch(journal);

        var probe = CreateTestProbe();
        await MakeUnavailableAsync();
        try
        {
            journal.Tell(new WriteMessages([Atomic(id, 2, 2, "lost")], probe.Ref, 1));
            await probe.ExpectMsgAsync<WriteMessagesFailed>(Timeout);
            await probe.ExpectMsgAsync<WriteMessageFailure>(Timeout);
        }
        finally
        {
            await MakeAvailableAsync();
        }

        // The same journal (never restarted) writes again once the store is back.
        await WriteAsync(Atomic(id, 2, 3, "after"));
        Assert.Same(journal, Journal);
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [1L, 2, 3], 3);
        ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public async Task The_read_journal_lists_the_ids_with_events_and_not_those_whose_events_were_all_deleted()
    {
        var kept = Id("listed");
        var compacted = Id("partly-deleted");
        var expired = Id("expired");
        await WriteAsync(Atomic(kept, 1, 1), Atomic(compacted, 1, 3), Atomic(expired, 1, 2));
        await DeleteAsync(compacted, 2);
        await DeleteAsync(expired, 2);

        var ids = await PersistenceQuery.Get(Sys).ReadJournalFor<ICurrentPersistenceIdsQuery>(RelayInboxSetup.ReadJournalId)
            .CurrentPersistenceIds().RunWith(Sink.Seq<string>(), Sys.Materializer());

        Assert.Contains(kept, ids);
        Assert.Contains(compacted, ids);
        Assert.DoesNotContain(expired, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Snapshots_load_the_newest_the_criteria_allow_a_resave_replaces_and_deletes_remove_only_what_they_name()
    {
        var id = Id("snapshots");
        var other = Id("snapshots-other");
        var start = new DateTime(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc);
        foreach (var seq in new long[] { 10, 20, 30 })
        {
            await SaveSnapshotAsync(new SnapshotMetadata(id, seq, start.AddMinutes(seq)), $"at {seq}");
        }

        await SaveSnapshotAsync(new SnapshotMetadata(other, 40, start), "other's");

        Assert.Equal((30L, "at 30"), await LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest));
        Assert.Equal((20L, "at 20"), await LoadSnapshotAsync(id, new SnapshotSelectionCriteria(25)));
        Assert.Equal((10L, "at 10"), await LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest, toSequenceNr: 15));
        Assert.Equal((20L, "at 20"), await LoadSnapshotAsync(id, new SnapshotSelectionCriteria(long.MaxValue, start.AddMinutes(25))));
        Assert.Equal((30L, "at 30"), await LoadSnapshotAsync(id, new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 25, start.AddMinutes(25))));
        Assert.Null(await LoadSnapshotAsync(id, new SnapshotSelectionCriteria(5)));

        await SaveSnapshotAsync(new SnapshotMetadata(id, 20, start.AddMinutes(21)), "at 20, again");
        Assert.Equal((20L, "at 20, again"), await LoadSnapshotAsync(id, new SnapshotSelectionCriteria(25)));
        Assert.Equal(3, CountRows("inbox_snapshot", id));

        var probe = CreateTestProbe();
        SnapshotStore.Tell(new DeleteSnapshot(new SnapshotMetadata(id, 30, DateTime.MinValue)), probe.Ref);
        await probe.ExpectMsgAsync<DeleteSnapshotSuccess>(Timeout);
        Assert.Equal((20L, "at 20, again"), await LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest));

        SnapshotStore.Tell(new DeleteSnapshots(id, new SnapshotSelectionCriteria(20)), probe.Ref);
        await probe.ExpectMsgAsync<DeleteSnapshotsSuccess>(Timeout);
        Assert.Null(await LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest));
        Assert.Equal(0, CountRows("inbox_snapshot", id));
        Assert.Equal((40L, "other's"), await LoadSnapshotAsync(other, SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public async Task A_snapshot_while_the_store_is_unavailable_fails_and_a_later_one_is_saved_beside_the_events()
    {
        var id = Id("snapshot-outage");
        var probe = CreateTestProbe();
        await MakeUnavailableAsync();
        try
        {
            SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(id, 1, DateTime.UtcNow), "lost"), probe.Ref);
            await probe.ExpectMsgAsync<SaveSnapshotFailure>(Timeout);
        }
        finally
        {
            await MakeAvailableAsync();
        }

        // Events and a snapshot written at once go through the same writer: both are stored.
        Journal.Tell(new WriteMessages([Atomic(id, 1, 2)], probe.Ref, 1));
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(id, 2, DateTime.UtcNow), "kept"), probe.Ref);
        var replies = new List<object>();
        for (var i = 0; i < 4; i++)
        {
            replies.Add(await probe.ExpectMsgAsync<object>(Timeout));
        }

        Assert.Single(replies.OfType<SaveSnapshotSuccess>());
        Assert.Single(replies.OfType<WriteMessagesSuccessful>());
        Assert.Equal(2, replies.OfType<WriteMessageSuccess>().Count());
        Assert.Equal((2L, "kept"), await LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest));
        await AssertReplayAsync(id, 1, long.MaxValue, long.MaxValue, [1L, 2], 2);
    }

    /// <summary>Rows of <paramref name="persistenceId"/> in <paramref name="table"/>, counted in the database itself.</summary>
    protected abstract long CountRows(string table, string persistenceId);

    /// <summary>Makes the store refuse writes.</summary>
    protected abstract Task MakeUnavailableAsync();

    /// <summary>Undoes <see cref="MakeUnavailableAsync"/>.</summary>
    protected abstract Task MakeAvailableAsync();

    private string Id(string name) => $"spec-{_run}-{name}";

    private Persistent Event(string id, long seq, object payload) =>
        new(payload, seq, id, "", false, ActorRefs.NoSender, _writerGuid);

    private AtomicWrite Atomic(string id, long from, long to, string text = "event") =>
        new(Enumerable.Range((int)from, (int)(to - from + 1)).Select(seq => (IPersistentRepresentation)Event(id, seq, $"{text} {seq}")).ToImmutableList());

    private async Task WriteAsync(params AtomicWrite[] writes)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(writes, probe.Ref, 1));
        await probe.ExpectMsgAsync<WriteMessagesSuccessful>(Timeout);
        foreach (var persistent in writes.SelectMany(w => (IImmutableList<IPersistentRepresentation>)w.Payload))
        {
            Assert.Equal(persistent.SequenceNr, (await probe.ExpectMsgAsync<WriteMessageSuccess>(Timeout)).Persistent.SequenceNr);
        }
    }

    private async Task SaveSnapshotAsync(SnapshotMetadata metadata, string snapshot)
    {
        var probe = CreateTestProbe();
        SnapshotStore.Tell(new SaveSnapshot(metadata, snapshot), probe.Ref);
        Assert.Equal(metadata.SequenceNr, (await probe.ExpectMsgAsync<SaveSnapshotSuccess>(Timeout)).Metadata.SequenceNr);
    }

    private async Task<(long Seq, string Snapshot)?> LoadSnapshotAsync(string id, SnapshotSelectionCriteria criteria, long toSequenceNr = long.MaxValue)
    {
        var probe = CreateTestProbe();
        SnapshotStore.Tell(new LoadSnapshot(id, criteria, toSequenceNr), probe.Ref);
        var loaded = (await probe.ExpectMsgAsync<LoadSnapshotResult>(Timeout)).Snapshot;
        if (loaded is null)
        {
            return null;
        }

        Assert.Equal(id, loaded.Metadata.PersistenceId);
        return (loaded.Metadata.SequenceNr, (string)loaded.Snapshot);
    }

    private async Task DeleteAsync(string id, long to)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(id, to, probe.Ref));
        Assert.Equal(to, (await probe.ExpectMsgAsync<DeleteMessagesSuccess>(Timeout)).ToSequenceNr);
    }

    private async Task AssertReplayAsync(string id, long from, long to, long max, long[] seqs, long highest)
    {
        var replayed = await ReplayAsync(id, from, to, max);
        Assert.Equal(seqs, replayed.Seqs);
        Assert.Equal(highest, replayed.Highest);
    }

    private async Task<(List<long> Seqs, long Highest)> ReplayAsync(string id, long from, long to, long max)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(from, to, max, id, probe.Ref));
        var seqs = new List<long>();
        while (true)
        {
            switch (await probe.ExpectMsgAsync<object>(Timeout))
            {
                case ReplayedMessage replayed:
                    Assert.Equal(id, replayed.Persistent.PersistenceId);
                    Assert.Equal($"{replayed.Persistent.SequenceNr}", ((string)replayed.Persistent.Payload).Split(' ')[^1]);
                    seqs.Add(replayed.Persistent.SequenceNr);
                    break;
                case RecoverySuccess done:
                    return (seqs, done.HighestSequenceNr);
                case var other:
                    throw new Xunit.Sdk.XunitException($"unexpected reply to a replay: {other}");
            }
        }
    }

    private async Task StopAsync(IActorRef actor)
    {
        var probe = CreateTestProbe();
        probe.Watch(actor);
        Sys.Stop(actor);
        await probe.ExpectTerminatedAsync(actor, Timeout);
    }
}
