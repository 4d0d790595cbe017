using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// Creates <see cref="InboxReadJournal"/> for Akka.Persistence.Query; the store and connection come from the journal
/// plugin the block's <c>journal-plugin</c> names, so both are configured in one place.
/// </summary>
public sealed class InboxReadJournalProvider(ExtendedActorSystem system, Config config) : IReadJournalProvider
{
    /// <inheritdoc />
    public IReadJournal GetReadJournal()
    {
        var journal = config.GetString("journal-plugin", "akka.persistence.journal.relay");
        // The journal's own read connections (shared with the snapshot store, closed with the actor system).
        return new InboxReadJournal(InboxStorage.For(system, JournalStoreSettings.From(system.Settings.Config.GetConfig(journal))).Reads);
    }
}
