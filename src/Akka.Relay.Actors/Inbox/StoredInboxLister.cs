using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// Reads once from the store which users hold an inbox and tells its parent (<see cref="InboxUsersKnown"/>), so that a
/// hub routes SENDs through inboxes only for them and users who never opted in never cost a persistent actor. While the
/// store cannot be read, the parent is told of none (once) and the listing is retried until it succeeds.
/// </summary>
public sealed class StoredInboxLister : ReceiveActor, IWithTimers
{
    private const string RetryTimer = "retry";

    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    private readonly string _readJournalId;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _parentTold;

    /// <summary>Creates a lister that reads through the Akka.Persistence.Query read journal <paramref name="readJournalId"/>.</summary>
    public StoredInboxLister(string readJournalId)
    {
        _readJournalId = readJournalId;
        Receive<StoredInboxesListed>(OnListed);
        Receive<ListStoredInboxes>(_ => List());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of a lister.</summary>
    public static Props GetProps(string readJournalId) => Akka.Actor.Props.Create(() => new StoredInboxLister(readJournalId));

    /// <summary>The users whose inbox persistence ids are among <paramref name="persistenceIds"/>.</summary>
    public static List<ulong> UsersOf(IEnumerable<string> persistenceIds)
    {
        const string Prefix = "inbox-";
        var users = new List<ulong>();
        foreach (var id in persistenceIds)
        {
            if (id.StartsWith(Prefix, StringComparison.Ordinal)
                && ulong.TryParse(id.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var user))
            {
                users.Add(user);
            }
        }

        return users;
    }

    /// <inheritdoc />
    protected override void PreStart() => List();

    private void List()
    {
        // Outside the mailbox: creating the read journal waits on its journal (up to its ask timeout) while the store starts.
        var system = Context.System;
        var readJournalId = _readJournalId;
        Task.Run(async () =>
            {
                var journal = PersistenceQuery.Get(system).ReadJournalFor<ICurrentPersistenceIdsQuery>(readJournalId);
                return await journal.CurrentPersistenceIds().RunWith(Sink.Seq<string>(), system.Materializer());
            })
            .PipeTo(Self, success: ids => new StoredInboxesListed(ids, null), failure: e => new StoredInboxesListed(null, e));
    }

    private void OnListed(StoredInboxesListed listed)
    {
        if (listed.PersistenceIds is null)
        {
            // The hub must not hold SENDs while the store is down: until the list is read, SENDs to stored inboxes are
            // answered as version 1 (users who resume meanwhile have their inbox at once); retried until the store answers.
            _log.Error(listed.Failure, "The inbox store could not list its inboxes; retrying in {0}", Retry);
            if (!_parentTold)
            {
                _parentTold = true;
                Context.Parent.Tell(new InboxUsersKnown([]));
            }

            Timers.StartSingleTimer(RetryTimer, ListStoredInboxes.Instance, Retry);
            return;
        }

        var users = UsersOf(listed.PersistenceIds);
        _log.Info("The inbox store holds {0} inboxes", users.Count);
        _parentTold = true;
        Context.Parent.Tell(new InboxUsersKnown(users));
        Context.Stop(Self);
    }
}
