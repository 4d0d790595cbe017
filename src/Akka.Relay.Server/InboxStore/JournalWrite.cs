namespace Akka.Relay.Server.InboxStore;

/// <summary>The events of one <c>WriteMessages</c> call (every AtomicWrite the store did not reject): all in one transaction.</summary>
internal sealed record JournalWrite(IReadOnlyList<JournalRow> Rows) : JournalRequest
{
    /// <inheritdoc />
    public override int RowCount => Rows.Count;
}
