using System.Globalization;
using Akka.Actor;

namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// The parent of a single node's inboxes: starts a user's <see cref="InboxActor"/> (under its backoff supervisor) when a
/// message for it arrives, stops it again once it has had no reader and no use for a passivation interval, and tells its
/// parent at start which users the store holds an inbox for, so that users who never opted in never cost a persistent actor.
/// </summary>
public sealed class InboxShelf : ReceiveActor, IWithTimers
{
    private const string PassivationTimer = "passivation";
    private readonly InboxShelfSettings _settings;
    private readonly Dictionary<ulong, ShelvedInbox> _inboxes = [];
    private readonly Dictionary<IActorRef, ulong> _userByActor = [];

    /// <summary>Creates the shelf.</summary>
    public InboxShelf(InboxShelfSettings settings)
    {
        _settings = settings;
        Receive<ToInbox>(OnToInbox);
        // From the lister (its child): passed on to the hub.
        Receive<InboxUsersKnown>(known => Context.Parent.Tell(known));
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
            Context.Parent.Tell(new InboxUsersKnown([]));
            return;
        }

        Context.ActorOf(StoredInboxLister.GetProps(_settings.ReadJournalId), "lister");
    }

    private void OnToInbox(ToInbox message)
    {
        if (!_inboxes.TryGetValue(message.UserId, out var inbox))
        {
            if (message.Message is CloseInboxReader)
            {
                return; // A stopped inbox has no reader to close: not worth a recovery.
            }

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
