namespace Akka.Relay.Server.InboxStore;

/// <summary>Deletes a persistence id's events up to <paramref name="ToSequenceNr"/>, remembering the highest number deleted.</summary>
internal sealed record JournalDelete(string PersistenceId, long ToSequenceNr) : JournalRequest
{
    /// <inheritdoc />
    public override int RowCount => 1;
}
