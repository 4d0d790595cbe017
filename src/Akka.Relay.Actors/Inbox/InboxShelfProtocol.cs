using Akka.Actor;

namespace Akka.Relay.Actors.Inbox;

// The messages of a single node's InboxShelf: the parent of every user's inbox on that node.

/// <summary>Hands <paramref name="Message"/> to <paramref name="UserId"/>'s inbox (started on demand), keeping its sender.</summary>
public sealed record ToInbox(ulong UserId, object Message);

/// <summary>From the shelf to its parent: these users have an inbox in the store (listed once at start).</summary>
public sealed record InboxUsersKnown(IReadOnlyCollection<ulong> Users);

/// <summary>How a shelf finds and keeps its users' inboxes.</summary>
/// <param name="Inbox">Every inbox's retention settings.</param>
/// <param name="ReadJournalId">The Akka.Persistence.Query read journal that lists the stored inboxes at start; null lists none.</param>
/// <param name="PassivateAfter">An inbox without readers and unused this long is stopped (it recovers from the store when next needed).</param>
public sealed record InboxShelfSettings(InboxSettings Inbox, string? ReadJournalId, TimeSpan PassivateAfter);

/// <summary>Timer tick of the shelf: stop the inboxes idle since the last one.</summary>
internal sealed record PassivationTick
{
    public static readonly PassivationTick Instance = new();
}

/// <summary>The store's list of persistence ids, or why it could not be read.</summary>
internal sealed record StoredInboxesListed(IReadOnlyList<string>? PersistenceIds, Exception? Failure);

/// <summary>Timer tick of the shelf: list the stored inboxes again after a failure.</summary>
internal sealed record ListStoredInboxes
{
    public static readonly ListStoredInboxes Instance = new();
}
