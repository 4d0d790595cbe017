using Akka.Actor;
using Akka.Event;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Directory;
using Akka.Relay.Actors.Telemetry;

namespace Akka.Relay.Actors.Hub;

/// <summary>
/// The node's registry of live sessions (user id → session actors). It only routes
/// messages between actors: it never touches a socket, so a slow peer cannot block it.
/// </summary>
/// <remarks>
/// Alone, the hub is its own per-user directory: it admits sessions, enforces the cap and
/// answers SENDs from its maps. In a cluster it is given a directory (the sharded per-user
/// entities) and a broadcast publisher: admissions and SENDs go to the user's directory
/// entity, broadcasts to every node's hub, and the hub keeps only this node's sessions for
/// fan-out, drain and the directory's rebuild queries. ClientActor sees no difference.
/// </remarks>
public sealed class HubActor : ReceiveActor, IWithTimers
{
    private const string RetryTimerKey = "send-retries";
    private const string CopiesTimerKey = "delivered-copies";
    private const string DrainTimerKey = "drain-batches";

    // An answer is ~20 bytes on the wire: a full batch stays far below Akka.Remote's frame size limit.
    private const int MaxAnswersPerBatch = 1024;

    // A spread drain closes a batch of sessions at most this often.
    private static readonly TimeSpan MinDrainStep = TimeSpan.FromMilliseconds(50);

    private readonly HubSettings _settings;
    private readonly IActorRef? _directory;
    private readonly IActorRef? _broadcastPublisher;
    private readonly Dictionary<ulong, List<IActorRef>> _sessionsByUser = new();
    private readonly Dictionary<IActorRef, ulong> _userBySession = new();

    // Every session actor that registered and has not yet stopped, including those already
    // unregistered because they are closing: a drain is done only when all have stopped.
    private readonly HashSet<IActorRef> _live = new();
    private readonly List<IActorRef> _drainWaiters = new();
    // Cluster only: the SENDs handed to directories, retried until each is answered (in SEND order).
    private readonly AnswerLedger _answers;
    // Cluster only: what other hubs' SENDs this hub delivered, so a retry's copy is not delivered twice.
    private readonly DeliveredCopies _copies;
    // Cluster only: answers for other nodes' hubs, sent as one batch per hub.
    private readonly OutgoingBatches<IActorRef, SendRouted> _answersToSend = new(MaxAnswersPerBatch);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RelayMetrics? _metrics;
    private bool _draining;
    // While a spread drain runs: the sessions still to be closed, and how many to close per step.
    private readonly Queue<IActorRef> _toClose = new();
    private int _drainBatch;

    /// <summary>Creates the hub; with a <paramref name="directory"/> and <paramref name="broadcastPublisher"/> it serves a cluster node.</summary>
    public HubActor(HubSettings settings, IActorRef? directory = null, IActorRef? broadcastPublisher = null, RelayMetrics? metrics = null)
    {
        _settings = settings;
        _directory = directory;
        _broadcastPublisher = broadcastPublisher;
        _metrics = metrics;
        _answers = new AnswerLedger(settings.DirectoryRetryInterval, settings.DirectoryGiveUpTimeout, _log);
        _copies = new DeliveredCopies(settings.DeliveredMemory);
        Receive<Register>(OnRegister);
        Receive<Unregister>(m => Unroute(m.Session));
        Receive<Terminated>(m => OnTerminated(m.ActorRef));
        Receive<SendToUser>(OnSendToUser);
        Receive<BroadcastToAll>(OnBroadcast);
        Receive<FanOut>(m => FanOutLocally(new Deliver(m.Payload) { Broadcast = true }));
        Receive<SendRouted>(m => _answers.Answer(m, Sender));
        Receive<DeliverRouted>(m => DeliverRouted(m, Sender, _copies.From(Sender)));
        Receive<DeliveryBatch>(OnDeliveryBatch);
        Receive<AnswerBatch>(OnAnswerBatch);
        Receive<FlushAnswers>(_ => _answersToSend.Flush(SendAnswerBatch));
        Receive<RetryDue>(_ => OnRetryDue());
        Receive<ForgetCopies>(_ => OnForgetCopies());
        Receive<SessionClaimed>(OnSessionClaimed);
        Receive<ClaimRefused>(OnClaimRefused);
        Receive<ReportSessions>(OnReportSessions);
        Receive<DrainSessions>(_ => OnDrain());
        Receive<DrainStepDue>(_ => CloseNextDrainBatch());
        Receive<GetHubStats>(_ => Sender.Tell(new HubStats(_sessionsByUser.Count, _userBySession.Count)));
        Receive<GetUserSessions>(OnGetUserSessions);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The hub's name under /user: per-user directory entities find every node's hub at /user/hub.</summary>
    public const string Name = "hub";

    /// <summary>Props for a single node's hub, which is its own directory.</summary>
    public static Props GetProps(HubSettings settings, RelayMetrics? metrics = null) => Akka.Actor.Props.Create(() => new HubActor(settings, null, null, metrics));

    /// <summary>Props for a cluster node's hub that defers to <paramref name="directory"/> and broadcasts through <paramref name="broadcastPublisher"/>.</summary>
    public static Props GetProps(HubSettings settings, IActorRef directory, IActorRef broadcastPublisher, RelayMetrics? metrics = null) =>
        Akka.Actor.Props.Create(() => new HubActor(settings, directory, broadcastPublisher, metrics));

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

        if (_directory is not null)
        {
            // The user's directory entity decides (the cap is cluster-wide); its answer comes
            // back here and is passed on. Watch now, so a drain waits for this session too.
            Watch(message.Session);
            _directory.Tell(new ClaimSession(message.UserId, message.Session));
            return;
        }

        if (_sessionsByUser.TryGetValue(message.UserId, out var sessions) && sessions.Count >= _settings.MaxSessionsPerUser)
        {
            Sender.Tell(new RegistrationRefused(
                message.UserId,
                RefusalReason.SessionLimit,
                $"user already holds the maximum of {_settings.MaxSessionsPerUser} sessions"));
            return;
        }

        Route(message.UserId, message.Session);
        Watch(message.Session);
        Sender.Tell(new Registered(message.UserId));
    }

    private void OnSessionClaimed(SessionClaimed claimed)
    {
        if (!_live.Contains(claimed.Session) || _draining)
        {
            // Stopped (or the node began draining) while the claim was in flight: give it back.
            _directory?.Tell(new ReleaseSession(claimed.UserId, claimed.Session));
            if (_live.Contains(claimed.Session))
            {
                claimed.Session.Tell(new RegistrationRefused(claimed.UserId, RefusalReason.Draining, "server is shutting down"));
            }

            return;
        }

        if (!_userBySession.ContainsKey(claimed.Session))
        {
            Route(claimed.UserId, claimed.Session);
        }

        claimed.Session.Tell(new Registered(claimed.UserId));
    }

    private void OnClaimRefused(ClaimRefused refused)
    {
        if (_live.Contains(refused.Session))
        {
            refused.Session.Tell(new RegistrationRefused(refused.UserId, RefusalReason.SessionLimit, refused.Detail));
        }
    }

    private void OnReportSessions(ReportSessions query)
    {
        IReadOnlyList<IActorRef> sessions = _sessionsByUser.TryGetValue(query.UserId, out var found) ? found.ToArray() : [];
        Sender.Tell(new SessionsReport(query.UserId, sessions));
    }

    private void Route(ulong userId, IActorRef session)
    {
        if (!_sessionsByUser.TryGetValue(userId, out var sessions))
        {
            sessions = new List<IActorRef>(1);
            _sessionsByUser[userId] = sessions;
        }

        sessions.Add(session);
        _userBySession[session] = userId;
        _metrics?.PublishDirectory(_sessionsByUser.Count, _userBySession.Count);
    }

    private void Watch(IActorRef session)
    {
        if (_live.Add(session))
        {
            Context.Watch(session);
        }
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

        _metrics?.PublishDirectory(_sessionsByUser.Count, _userBySession.Count);
        _directory?.Tell(new ReleaseSession(userId, session));
    }

    private void OnTerminated(IActorRef session)
    {
        Unroute(session);
        _answers.Forget(session);
        _live.Remove(session);
        if (_draining && _live.Count == 0)
        {
            AnswerDrainWaiters();
        }
    }

    private void OnSendToUser(SendToUser message)
    {
        if (_directory is not null)
        {
            RouteThroughDirectory(message, _directory);
            return;
        }

        Sender.Tell(new SendAck(message.Receiver, DeliverLocally(message.Receiver, message.Payload)));
    }

    private void OnDeliveryBatch(DeliveryBatch batch)
    {
        var copies = _copies.From(Sender);
        foreach (var delivery in batch.Deliveries)
        {
            DeliverRouted(delivery, Sender, copies);
        }
    }

    private void DeliverRouted(DeliverRouted message, IActorRef sendersHub, Dictionary<ulong, DeliveredCopies.Pair> copies)
    {
        // The receiver's directory decided; this node's sessions of the receiver get it, and the SEND's hub
        // hears back from here, after the payload has crossed the network.
        // A retried SEND can arrive twice (through the old and the new home of a moved shard): the copy is answered, not delivered.
        var pair = DeliveredCopies.Of(copies, message.Receiver);
        if (!pair.IsCopy(message.Sequence, _sessionsByUser.ContainsKey(message.Receiver), out var delivered))
        {
            delivered = DeliverLocally(message.Receiver, message.Payload);
            pair.Record(message.Sequence, delivered);
        }

        if (!Timers.IsTimerActive(CopiesTimerKey))
        {
            Timers.StartPeriodicTimer(CopiesTimerKey, ForgetCopies.Instance, _settings.DeliveredMemory / 2);
        }

        var answer = new SendRouted(message.Receiver, message.Sequence, delivered, message.Hubs);
        if (sendersHub is IInternalActorRef { IsLocal: true })
        {
            sendersHub.Tell(answer);
            return;
        }

        if (_answersToSend.Add(sendersHub, answer, weight: 1, SendAnswerBatch))
        {
            Self.Tell(FlushAnswers.Instance);
        }
    }

    private static void SendAnswerBatch(IActorRef hub, List<SendRouted> answers) => hub.Tell(new AnswerBatch(answers));

    private void OnAnswerBatch(AnswerBatch batch)
    {
        foreach (var answer in batch.Answers)
        {
            _answers.Answer(answer, Sender);
        }
    }

    private bool DeliverLocally(ulong receiver, byte[] payload)
    {
        if (!_sessionsByUser.TryGetValue(receiver, out var sessions) || sessions.Count == 0)
        {
            return false;
        }

        var deliver = new Deliver(payload);
        foreach (var session in sessions)
        {
            session.Tell(deliver);
        }

        return true;
    }

    private void RouteThroughDirectory(SendToUser message, IActorRef directory)
    {
        // A session that is closing has left the map; its user id only names it in an error answer.
        var senderId = _userBySession.GetValueOrDefault(Sender);
        directory.Tell(_answers.Add(Sender, senderId, message.Receiver, message.Payload));
        if (!Timers.IsTimerActive(RetryTimerKey))
        {
            // Checked a few times per interval, so a retry leaves at most a third of an interval late.
            var period = TimeSpan.FromTicks(Math.Max(_settings.DirectoryRetryInterval.Ticks / 3, TimeSpan.FromMilliseconds(20).Ticks));
            Timers.StartPeriodicTimer(RetryTimerKey, RetryDue.Instance, period);
        }
    }

    private void OnRetryDue()
    {
        var directory = _directory!;
        _answers.RetryDue(send => directory.Tell(send, Self));
        if (!_answers.AnyUnresolved)
        {
            Timers.Cancel(RetryTimerKey);
        }
    }

    private void OnForgetCopies()
    {
        _copies.ForgetIdle();
        if (!_copies.Any)
        {
            Timers.Cancel(CopiesTimerKey);
        }
    }

    private void OnBroadcast(BroadcastToAll message)
    {
        if (_broadcastPublisher is not null)
        {
            // Every node's hub, this one included, gets it back once as a FanOut.
            _broadcastPublisher.Tell(message);
            return;
        }

        FanOutLocally(new Deliver(message.Payload) { Broadcast = true });
    }

    private void OnGetUserSessions(GetUserSessions query)
    {
        if (_directory is not null)
        {
            // The user's directory entity knows every node's sessions; it answers the asker directly.
            _directory.Forward(query);
            return;
        }

        Sender.Tell(new UserSessions(query.UserId, _sessionsByUser.TryGetValue(query.UserId, out var sessions) ? sessions.Count : 0));
    }

    private void FanOutLocally(Deliver deliver)
    {
        foreach (var session in _userBySession.Keys)
        {
            session.Tell(deliver);
        }
    }

    private void OnDrain()
    {
        if (!_draining)
        {
            _draining = true;
            var steps = DrainSteps(_live.Count, _settings.DrainSpread);
            _log.Info("Draining {Sessions} sessions of {Users} users in {Steps} steps over {DrainSpread}", _live.Count, _sessionsByUser.Count, steps, _settings.DrainSpread);
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
            session.Tell(CloseSession.GoingAway);
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

    private sealed class RetryDue
    {
        public static readonly RetryDue Instance = new();
    }

    private sealed class ForgetCopies
    {
        public static readonly ForgetCopies Instance = new();
    }

    private sealed class DrainStepDue
    {
        public static readonly DrainStepDue Instance = new();
    }

    private sealed class FlushAnswers
    {
        public static readonly FlushAnswers Instance = new();
    }
}
