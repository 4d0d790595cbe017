using Akka.Actor;
using Akka.Event;
using Akka.Relay.Actors.Client;

namespace Akka.Relay.Actors.Hub;

/// <summary>
/// The node's registry of live sessions (user id → session actors). It only routes
/// messages between actors: it never touches a socket, so a slow peer cannot block it.
/// </summary>
public sealed class HubActor : ReceiveActor
{
    private readonly HubSettings _settings;
    private readonly Dictionary<ulong, List<IActorRef>> _sessionsByUser = new();
    private readonly Dictionary<IActorRef, ulong> _userBySession = new();

    // Every session actor that registered and has not yet stopped, including those already
    // unregistered because they are closing: a drain is done only when all have stopped.
    private readonly HashSet<IActorRef> _live = new();
    private readonly List<IActorRef> _drainWaiters = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _draining;

    /// <summary>Creates the hub.</summary>
    public HubActor(HubSettings settings)
    {
        _settings = settings;
        Receive<Register>(OnRegister);
        Receive<Unregister>(m => Unroute(m.Session));
        Receive<Terminated>(m => OnTerminated(m.ActorRef));
        Receive<SendToUser>(OnSendToUser);
        Receive<BroadcastToAll>(OnBroadcast);
        Receive<DrainSessions>(_ => OnDrain());
        Receive<GetHubStats>(_ => Sender.Tell(new HubStats(_sessionsByUser.Count, _userBySession.Count)));
    }

    /// <summary>Props for the hub.</summary>
    public static Props GetProps(HubSettings settings) => Akka.Actor.Props.Create(() => new HubActor(settings));

    private void OnRegister(Register message)
    {
        if (_draining)
        {
            Sender.Tell(new RegistrationRefused(message.UserId, RefusalReason.Draining, "server is shutting down"));
            return;
        }

        if (_userBySession.ContainsKey(message.Session))
        {
            Sender.Tell(new Registered(message.UserId));
            return;
        }

        if (!_sessionsByUser.TryGetValue(message.UserId, out var sessions))
        {
            sessions = new List<IActorRef>(1);
            _sessionsByUser[message.UserId] = sessions;
        }

        if (sessions.Count >= _settings.MaxSessionsPerUser)
        {
            Sender.Tell(new RegistrationRefused(
                message.UserId,
                RefusalReason.SessionLimit,
                $"user already holds the maximum of {_settings.MaxSessionsPerUser} sessions"));
            return;
        }

        sessions.Add(message.Session);
        _userBySession[message.Session] = message.UserId;
        if (_live.Add(message.Session))
        {
            Context.Watch(message.Session);
        }

        Sender.Tell(new Registered(message.UserId));
    }

    private void Unroute(IActorRef session)
    {
        // Removal is by session, never by user id: one session leaving cannot take
        // another session of the same user with it (the original's race).
        if (!_userBySession.Remove(session, out var userId))
        {
            return;
        }

        var sessions = _sessionsByUser[userId];
        sessions.Remove(session);
        if (sessions.Count == 0)
        {
            _sessionsByUser.Remove(userId);
        }
    }

    private void OnTerminated(IActorRef session)
    {
        Unroute(session);
        _live.Remove(session);
        if (_draining && _live.Count == 0)
        {
            AnswerDrainWaiters();
        }
    }

    private void OnSendToUser(SendToUser message)
    {
        var delivered = false;
        if (_sessionsByUser.TryGetValue(message.Receiver, out var sessions))
        {
            var deliver = new Deliver(message.Payload);
            foreach (var session in sessions)
            {
                session.Tell(deliver, Sender);
            }

            delivered = sessions.Count > 0;
        }

        Sender.Tell(new SendAck(message.Receiver, delivered));
    }

    private void OnBroadcast(BroadcastToAll message)
    {
        var deliver = new Deliver(message.Payload);
        foreach (var session in _userBySession.Keys)
        {
            session.Tell(deliver, Sender);
        }
    }

    private void OnDrain()
    {
        if (!_draining)
        {
            _draining = true;
            _log.Info("Draining {0} sessions of {1} users", _live.Count, _sessionsByUser.Count);
            foreach (var session in _live)
            {
                session.Tell(CloseSession.GoingAway);
            }
        }

        _drainWaiters.Add(Sender);
        if (_live.Count == 0)
        {
            AnswerDrainWaiters();
        }
    }

    private void AnswerDrainWaiters()
    {
        foreach (var waiter in _drainWaiters)
        {
            waiter.Tell(SessionsDrained.Instance);
        }

        _drainWaiters.Clear();
    }
}
