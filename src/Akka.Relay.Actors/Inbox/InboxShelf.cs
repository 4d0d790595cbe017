using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// The parent of a single node's inboxes: starts a user's <see cref="InboxActor"/> (under its backoff supervisor) when a
/// message for it arrives, stops it again once it has had no reader and no use for a passivation interval, and tells its
/// parent at start which users the store holds an inbox for, so that users who never opted in never cost a persistent actor.
/// </summary>
public sealed class InboxShelf : ReceiveActor, IWithTimers
{
    private const string PassivationTimer = "passivation";
    private const string ListTimer = "list";
    private const string PersistenceIdPrefix = "inbox-";

    private static readonly TimeSpan ListRetry = TimeSpan.FromSeconds(2);

    private readonly InboxShelfSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ulong, ShelvedInbox> _inboxes = [];
    private readonly Dictionary<IActorRef, ulong> _userByActor = [];
    private bool _parentTold;

    /// <summary>Creates the shelf.</summary>
    public InboxShelf(InboxShelfSettings settings)
    {
        _settings = settings;
        Receive<ToInbox>(OnToInbox);
        Receive<StoredInboxesListed>(OnListed);
        Receive<ListStoredInboxes>(_ => ListStored());
        Receive<PassivationTick>(_ => Passivate());
        Receive<Terminated>(t => OnTerminated(t.ActorRef));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of a shelf.</summary>
    public static Props GetProps(InboxShelfSettings settings) => Akka.Actor.Props.Create(() => new InboxShelf(settings));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(PassivationTimer, PassivationTick.Instance, _settings.PassivateAfter);
        if (_settings.ReadJournalId is null)
        {
            TellParent([]);
            return;
        }

        ListStored();
    }

    private void ListStored()
    {
        var self = Self;
        try
        {
            var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<ICurrentPersistenceIdsQuery>(_settings.ReadJournalId);
            journal.CurrentPersistenceIds()
                .RunWith(Sink.Seq<string>(), Context.System.Materializer())
                .PipeTo(self, success: ids => new StoredInboxesListed(ids, null), failure: e => new StoredInboxesListed(null, e));
        }
        catch (Exception e)
        {
            self.Tell(new StoredInboxesListed(null, e));
        }
    }

    private void OnListed(StoredInboxesListed listed)
    {
        if (listed.PersistenceIds is null)
        {
            // The hub must not hold SENDs while the store is down: until the list is read, SENDs to stored inboxes are
            // answered as version 1 (users who resume meanwhile have their inbox at once); retried until the store answers.
            _log.Error(listed.Failure, "The inbox store could not list its inboxes; retrying in {0}", ListRetry);
            TellParent([]);
            Timers.StartSingleTimer(ListTimer, ListStoredInboxes.Instance, ListRetry);
            return;
        }

        var users = new List<ulong>();
        foreach (var id in listed.PersistenceIds)
        {
            if (id.StartsWith(PersistenceIdPrefix, StringComparison.Ordinal)
                && ulong.TryParse(id.AsSpan(PersistenceIdPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var user))
            {
                users.Add(user);
            }
        }

        _log.Info("The inbox store holds {0} inboxes", users.Count);
        _parentTold = true;
        Context.Parent.Tell(new InboxUsersKnown(users));
    }

    private void TellParent(IReadOnlyCollection<ulong> users)
    {
        // Once only: the parent stops holding SENDs; a later successful listing adds to what it knows.
        if (!_parentTold)
        {
            _parentTold = true;
            Context.Parent.Tell(new InboxUsersKnown(users));
        }
    }

    private void OnToInbox(ToInbox message)
    {
        if (!_inboxes.TryGetValue(message.UserId, out var inbox))
        {
            var actor = Context.ActorOf(InboxActor.GetSupervisedProps(message.UserId, _settings.Inbox), message.UserId.ToString(CultureInfo.InvariantCulture));
            Context.Watch(actor);
            inbox = new ShelvedInbox(actor);
            _inboxes[message.UserId] = inbox;
            _userByActor[actor] = message.UserId;
        }

        inbox.UsedSinceTick = true;
        switch (message.Message)
        {
            case OpenInboxReader open:
                // A reader keeps its inbox running; the shelf hears of its end through DeathWatch.
                if (inbox.Readers.Add(open.Reader) && !_userByActor.ContainsKey(open.Reader))
                {
                    Context.Watch(open.Reader);
                }

                _userByActor.TryAdd(open.Reader, message.UserId);
                break;
            case CloseInboxReader close:
                inbox.Readers.Remove(close.Reader);
                break;
        }

        inbox.Actor.Forward(message.Message);
    }

    private void Passivate()
    {
        foreach (var (user, inbox) in _inboxes.ToArray())
        {
            if (inbox.Readers.Count == 0 && !inbox.UsedSinceTick)
            {
                // Unused for a whole interval: nothing is in flight, and the store holds all it knows.
                _inboxes.Remove(user);
                _userByActor.Remove(inbox.Actor);
                Context.Unwatch(inbox.Actor);
                Context.Stop(inbox.Actor);
            }
            else
            {
                inbox.UsedSinceTick = false;
            }
        }
    }

    private void OnTerminated(IActorRef actor)
    {
        if (!_userByActor.Remove(actor, out var user) || !_inboxes.TryGetValue(user, out var inbox))
        {
            return;
        }

        if (inbox.Actor.Equals(actor))
        {
            _inboxes.Remove(user);
        }
        else
        {
            inbox.Readers.Remove(actor);
            inbox.UsedSinceTick = true;
        }
    }
}
