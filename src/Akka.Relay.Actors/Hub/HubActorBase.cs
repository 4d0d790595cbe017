using Akka.Actor;
using Akka.Event;
using Akka.Relay.Actors.Telemetry;

namespace Akka.Relay.Actors.Hub;

/// <summary>
/// The hub contract (the messages in HubProtocol.cs) and what every home of it shares: this node's registry
/// of live sessions, DeathWatch, the drain and the counts. Where a session is admitted, where a SEND is decided and
/// how a broadcast spreads is the home's own: <see cref="HubActor"/> alone on one node, the cluster hub in
/// <c>Akka.Relay.Cluster</c>. A ClientActor talks to either one the same way.
/// </summary>
public abstract class HubActorBase : ReceiveActor, IWithTimers
{
    private const string DrainTimerKey = "drain-batches";

    // A spread drain closes a batch of sessions at most this often.
    private static readonly TimeSpan MinDrainStep = TimeSpan.FromMilliseconds(50);

    private readonly HubSettings _settings;
    private readonly RelayMetrics? _metrics;
    private readonly Dictionary<ulong, List<IActorRef>> _sessionsByUser = new();
    private readonly Dictionary<IActorRef, ulong> _userBySession = new();

    // Sessions that read their user's inbox (protocol 1.1): they get its seq-stamped copies from the inbox, never a SEND's bytes from the hub.
    private readonly HashSet<IActorRef> _readers = new();

    // Every session actor that registered and has not yet stopped, including those already
    // unregistered because they are closing: a drain is done only when all have stopped.
    private readonly HashSet<IActorRef> _live = new();
    private readonly List<IActorRef> _drainWaiters = new();

    // While a spread drain runs: the sessions still to be closed, and how many to close per step.
    private readonly Queue<IActorRef> _toClose = new();
    private int _drainBatch;

    /// <summary>Registers the contract's handlers; a home adds its own after this.</summary>
    protected HubActorBase(HubSettings settings, RelayMetrics? metrics)
    {
        _settings = settings;
        _metrics = metrics;
        Receive<Register>(OnRegister);
        Receive<Unregister>(m => Unroute(m.Session));
        Receive<Terminated>(m => OnTerminated(m.ActorRef));
        Receive<SendToUser>(Send);
        Receive<BroadcastToAll>(Broadcast);
        Receive<DrainSessions>(_ => OnDrain());
        Receive<DrainStepDue>(_ => CloseNextDrainBatch());
        Receive<GetHubStats>(_ => Sender.Tell(new HubStats(_sessionsByUser.Count, _userBySession.Count)));
        Receive<GetUserSessions>(CountSessions);
        Receive<GetHubReadiness>(_ => Sender.Tell(new HubReadiness(InboxesListed)));
    }

    /// <summary>The hub's name under /user (in a cluster, directory entities find every node's hub there).</summary>
    public const string Name = "hub";

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The limits the hub enforces.</summary>
    protected HubSettings Settings => _settings;

    /// <summary>The hub's log.</summary>
    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    /// <summary>True once a drain began: no session is admitted any more.</summary>
    protected bool Draining { get; private set; }

    /// <summary>Admits a new session of <paramref name="message"/>'s user (or refuses it); the registration's sender is the session itself.</summary>
    protected abstract void Admit(Register message);

    /// <summary>Decides a SEND and answers the session (the message's sender) with a <see cref="SendAck"/>.</summary>
    protected abstract void Send(SendToUser message);

    /// <summary>Spreads a BROADCAST to every session that should get it.</summary>
    protected abstract void Broadcast(BroadcastToAll message);

    /// <summary>Answers how many sessions a user holds, wherever they are.</summary>
    protected abstract void CountSessions(GetUserSessions query);

    /// <summary>False while the store's list of users with an inbox has not come yet (no inbox: always true).</summary>
    protected virtual bool InboxesListed => true;

    /// <summary>A session stopped receiving here (unregistered, closing or stopped); <paramref name="reader"/>: it read the inbox.</summary>
    protected virtual void Unrouted(ulong userId, IActorRef session, bool reader)
    {
    }

    /// <summary>A session actor stopped for good.</summary>
    protected virtual void Ended(IActorRef session)
    {
    }

    /// <summary>True while the session's actor runs (registered or closing).</summary>
    protected bool IsLive(IActorRef session) => _live.Contains(session);

    /// <summary>True while SENDs to the session's user reach it here.</summary>
    protected bool IsRouted(IActorRef session) => _userBySession.ContainsKey(session);

    /// <summary>The number of this node's sessions of <paramref name="userId"/>.</summary>
    protected int LocalSessionCount(ulong userId) => _sessionsByUser.TryGetValue(userId, out var sessions) ? sessions.Count : 0;

    /// <summary>A copy of this node's sessions of <paramref name="userId"/>.</summary>
    protected IReadOnlyList<IActorRef> LocalSessionsOf(ulong userId) =>
        _sessionsByUser.TryGetValue(userId, out var sessions) ? sessions.ToArray() : [];

    /// <summary>True when the session reads its user's inbox (it opted in with <c>resume</c>).</summary>
    protected bool IsReader(IActorRef session) => _readers.Count > 0 && _readers.Contains(session);

    /// <summary>True when <paramref name="userId"/> has a session here that reads the inbox.</summary>
    protected bool HasReader(ulong userId) => AnyLocalSession(userId, reader: true);

    /// <summary>True when <paramref name="userId"/> has a version 1 session here (one that gets a SEND's bytes from the hub).</summary>
    protected bool HasPlainSession(ulong userId) => AnyLocalSession(userId, reader: false);

    /// <summary>DeathWatches a session once, so a drain waits for it and its end is noticed.</summary>
    protected void Watch(IActorRef session)
    {
        if (_live.Add(session))
        {
            Context.Watch(session);
        }
    }

    /// <summary>
    /// From now on SENDs to <paramref name="userId"/> reach <paramref name="session"/> here; a <paramref name="reader"/>
    /// gets them from its user's inbox instead (see <see cref="DeliverLocally"/>).
    /// </summary>
    protected void Route(ulong userId, IActorRef session, bool reader = false)
    {
        if (reader)
        {
            _readers.Add(session);
        }

        if (!_sessionsByUser.TryGetValue(userId, out var sessions))
        {
            sessions = new List<IActorRef>(1);
            _sessionsByUser[userId] = sessions;
        }

        sessions.Add(session);
        _userBySession[session] = userId;
        _metrics?.PublishSessionCounts(_sessionsByUser.Count, _userBySession.Count);
    }

    /// <summary>
    /// Hands <paramref name="payload"/> to every local version 1 session of <paramref name="receiver"/> (inbox readers get the
    /// stored copy from the inbox); false when no session here got it.
    /// </summary>
    protected bool DeliverLocally(ulong receiver, byte[] payload)
    {
        if (!_sessionsByUser.TryGetValue(receiver, out var sessions) || sessions.Count == 0)
        {
            return false;
        }

        var deliver = new Deliver(payload);
        var delivered = false;
        foreach (var session in sessions)
        {
            if (!IsReader(session))
            {
                session.Tell(deliver);
                delivered = true;
            }
        }

        return delivered;
    }

    /// <summary>Hands a broadcast's shared bytes to every session of this node.</summary>
    protected void FanOutLocally(byte[] payload)
    {
        var deliver = new Deliver(payload) { Broadcast = true };
        foreach (var session in _userBySession.Keys)
        {
            session.Tell(deliver);
        }
    }

    private void OnRegister(Register message)
    {
        if (Draining)
        {
            Sender.Tell(new RegistrationRefused(message.UserId, RefusalReason.Draining, "server is shutting down"));
            return;
        }

        if (_userBySession.ContainsKey(message.Session))
        {
            Sender.Tell(new Registered(message.UserId));
            return;
        }

        Admit(message);
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

        var reader = _readers.Remove(session);
        _metrics?.PublishSessionCounts(_sessionsByUser.Count, _userBySession.Count);
        Unrouted(userId, session, reader);
    }

    private bool AnyLocalSession(ulong userId, bool reader)
    {
        if (_sessionsByUser.TryGetValue(userId, out var sessions))
        {
            foreach (var session in sessions)
            {
                if (IsReader(session) == reader)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void OnTerminated(IActorRef session)
    {
        Unroute(session);
        Ended(session);
        _live.Remove(session);
        if (Draining && _live.Count == 0)
        {
            AnswerDrainWaiters();
        }
    }

    private void OnDrain()
    {
        if (!Draining)
        {
            Draining = true;
            var steps = DrainSteps(_live.Count, _settings.DrainSpread);
            Log.Info("Draining {Sessions} sessions of {Users} users in {Steps} steps over {DrainSpread}", _live.Count, _sessionsByUser.Count, steps, _settings.DrainSpread);
            foreach (var session in _live)
            {
                _toClose.Enqueue(session);
            }

            _drainBatch = (_live.Count + steps - 1) / steps;
            // The first batch goes at once, the last one step before the spread is over.
            CloseNextDrainBatch();
            if (_toClose.Count > 0)
            {
                Timers.StartPeriodicTimer(DrainTimerKey, DrainStepDue.Instance, _settings.DrainSpread / steps);
            }
        }

        _drainWaiters.Add(Sender);
        if (_live.Count == 0)
        {
            AnswerDrainWaiters();
        }
    }

    private static int DrainSteps(int sessions, TimeSpan spread) =>
        sessions <= 1 || spread <= TimeSpan.Zero ? 1 : (int)Math.Clamp(spread.Ticks / MinDrainStep.Ticks, 1, sessions);

    private void CloseNextDrainBatch()
    {
        var closed = 0;
        while (closed < _drainBatch && _toClose.TryDequeue(out var session))
        {
            if (!_live.Contains(session))
            {
                continue; // It ended on its own meanwhile.
            }

            // Unrouted before it is told to close: from here on SENDs to it answer "not online" instead of
            // being acked and then dropped by a closing session. What was routed to it before is still written.
            Unroute(session);
            session.Tell(GoAway.Instance);
            closed++;
        }

        if (_toClose.Count == 0)
        {
            Timers.Cancel(DrainTimerKey);
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

    private sealed class DrainStepDue
    {
        public static readonly DrainStepDue Instance = new();
    }
}
