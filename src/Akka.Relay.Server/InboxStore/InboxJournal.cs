using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The inbox's Akka.Persistence journal on SQLite or PostgreSQL (<c>akka.persistence.journal.relay</c>): events are
/// serialized here and stored by one <see cref="JournalWriter"/> (shared with <see cref="InboxSnapshotStore"/>) that
/// commits everything queued in one transaction.
/// </summary>
public sealed class InboxJournal : AsyncWriteJournal
{
    private readonly Akka.Serialization.Serialization _serialization;
    private readonly JournalWriter _writer;
    private readonly IJournalStore _store;

    /// <summary>Created by Akka.Persistence with the plugin's HOCON block.</summary>
    public InboxJournal(Config config)
    {
        _serialization = Context.System.Serialization;
        // Shared with the snapshot store; closed when the actor system terminates.
        (_writer, _store) = InboxStorage.For(Context.System, JournalStoreSettings.From(config));
    }

    /// <inheritdoc />
    protected override Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var rows = new List<JournalRow>();
        var rejections = new List<Exception?>();
        var rejected = false;
        foreach (var write in messages)
        {
            // A write that cannot be serialized is rejected alone (the persistent actor carries on); the others are stored.
            var events = (IImmutableList<IPersistentRepresentation>)write.Payload;
            try
            {
                var serialized = new List<JournalRow>(events.Count);
                foreach (var persistent in events)
                {
                    serialized.Add(Serialize(persistent));
                }

                rows.AddRange(serialized);
                rejections.Add(null);
            }
            catch (Exception e)
            {
                rejections.Add(e);
                rejected = true;
            }
        }

        IImmutableList<Exception?>? result = rejected ? rejections.ToImmutableList() : null;
        return rows.Count == 0
            ? Task.FromResult(result!)
            : _writer.Enqueue(new JournalWrite(rows)).ContinueWith(
                written => written.IsCompletedSuccessfully ? result! : throw written.Exception!.InnerException!,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <inheritdoc />
    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _writer.Enqueue(new JournalDelete(persistenceId, toSequenceNr));

    /// <inheritdoc />
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        if (max <= 0 || toSequenceNr < fromSequenceNr)
        {
            return;
        }

        await _store.EnsureSchemaAsync(CancellationToken.None);
        await _store.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max, row => recoveryCallback(Deserialize(row)), CancellationToken.None);
    }

    /// <inheritdoc />
    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        await _store.EnsureSchemaAsync(cancellationToken);
        return await _store.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        base.PreStart();
        // The tables exist (or the failure is logged) before the first inbox recovers.
        var log = Context.GetLogger();
        _store.EnsureSchemaAsync(CancellationToken.None).ContinueWith(
            created => log.Error(created.Exception!.InnerException, "Inbox journal: the store's tables could not be checked; retried on the next use"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private JournalRow Serialize(IPersistentRepresentation persistent)
    {
        var payload = persistent.Payload;
        var serializer = _serialization.FindSerializerFor(payload);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, payload);
        return new JournalRow(persistent.PersistenceId, persistent.SequenceNr, serializer.Identifier, manifest, serializer.ToBinary(payload));
    }

    private Persistent Deserialize(JournalRow row) =>
        new(_serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest), row.SequenceNr, row.PersistenceId, "",
            isDeleted: false, ActorRefs.NoSender, writerGuid: "");
}
