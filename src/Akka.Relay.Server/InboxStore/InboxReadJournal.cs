using Akka.Persistence.Query;
using Akka.Streams.Dsl;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The read side of <see cref="InboxJournal"/> (<c>akka.persistence.query.journal.relay</c>): which persistence ids hold
/// events, read from the journal's table.
/// </summary>
public sealed class InboxReadJournal : IReadJournal, ICurrentPersistenceIdsQuery
{
    private readonly IJournalStore _store;

    internal InboxReadJournal(IJournalStore store) => _store = store;

    /// <summary>
    /// The ids with at least one event row. An id whose rows were all deleted (an inbox expired: its tombstone deleted
    /// with everything before it) is not listed, as with Akka.Persistence.Sql's read journal, which skipped deleted rows.
    /// </summary>
    public Source<string, NotUsed> CurrentPersistenceIds() =>
        Source.FromTask(ListAsync()).SelectMany(ids => ids);

    private async Task<IReadOnlyList<string>> ListAsync()
    {
        await _store.EnsureSchemaAsync(CancellationToken.None);
        return await _store.PersistenceIdsAsync(CancellationToken.None);
    }
}
