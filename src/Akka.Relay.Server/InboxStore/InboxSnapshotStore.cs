using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The inbox's Akka.Persistence snapshot store (<c>akka.persistence.snapshot-store.relay</c>): table
/// <c>inbox_snapshot</c> in the journal's database, written by the journal's own writer, so a snapshot never waits for
/// (or holds up) the events' write lock. The store and connection come from the journal plugin <c>journal-plugin</c> names.
/// </summary>
public sealed class InboxSnapshotStore : SnapshotStore
{
    private readonly Akka.Serialization.Serialization _serialization;
    private readonly InboxStorage.Stores _stores;

    /// <summary>Created by Akka.Persistence with the plugin's HOCON block.</summary>
    public InboxSnapshotStore(Config config)
    {
        var journal = config.GetString("journal-plugin", "akka.persistence.journal.relay");
        _serialization = Context.System.Serialization;
        _stores = InboxStorage.For(Context.System, JournalStoreSettings.From(Context.System.Settings.Config.GetConfig(journal)));
    }

    /// <inheritdoc />
    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        await _stores.Reads.EnsureSchemaAsync(cancellationToken);
        var row = await _stores.Reads.LoadSnapshotAsync(SnapshotRange.Of(persistenceId, criteria), cancellationToken);
        return row is null
            ? null
            : new SelectedSnapshot(
                new SnapshotMetadata(row.PersistenceId, row.SequenceNr, row.Timestamp),
                _serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest));
    }

    /// <inheritdoc />
    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken = default)
    {
        var serializer = _serialization.FindSerializerFor(snapshot);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, snapshot);
        var row = new SnapshotRow(metadata.PersistenceId, metadata.SequenceNr, metadata.Timestamp, serializer.Identifier, manifest, serializer.ToBinary(snapshot));
        return _stores.Writer.Enqueue(new SnapshotWrite(row));
    }

    /// <inheritdoc />
    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default) =>
        _stores.Writer.Enqueue(new SnapshotDelete(SnapshotRange.Of(metadata)));

    /// <inheritdoc />
    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default) =>
        _stores.Writer.Enqueue(new SnapshotDelete(SnapshotRange.Of(persistenceId, criteria)));
}
