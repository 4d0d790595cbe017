namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The journal's tables (events and snapshots) in one database. <see cref="WriteBatchAsync"/> is called by one writer at a time; the reads may
/// run beside it and each other.
/// </summary>
internal interface IJournalStore : IAsyncDisposable
{
    /// <summary>Creates the tables when missing; the reads and writes call it first (it retries after a failure).</summary>
    Task EnsureSchemaAsync(CancellationToken cancellation);

    /// <summary>
    /// Stores every request of <paramref name="batch"/> in one transaction, in order, and returns after the commit. After a
    /// failure the next call starts on a fresh connection.
    /// </summary>
    Task WriteBatchAsync(IReadOnlyList<JournalRequest> batch, CancellationToken cancellation);

    /// <summary>The events of <paramref name="persistenceId"/> from..to (inclusive), at most <paramref name="max"/>, by sequence number.</summary>
    Task ReplayAsync(string persistenceId, long from, long to, long max, Action<JournalRow> onRow, CancellationToken cancellation);

    /// <summary>The highest sequence number ever stored for <paramref name="persistenceId"/> (0 if none), deleted ones included.</summary>
    Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellation);

    /// <summary>The newest snapshot within <paramref name="range"/>, or null.</summary>
    Task<SnapshotRow?> LoadSnapshotAsync(SnapshotRange range, CancellationToken cancellation);

    /// <summary>The persistence ids that hold at least one event.</summary>
    Task<IReadOnlyList<string>> PersistenceIdsAsync(CancellationToken cancellation);

    /// <summary>True when <paramref name="failure"/> says a row's key is taken (a second writer for the same id).</summary>
    bool IsKeyConflict(Exception failure);
}
