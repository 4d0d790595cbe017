using Akka.Actor;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Cluster.Delivery;
using Akka.Relay.Cluster.Directory;

namespace Akka.Relay.Cluster.Hub;

/// <summary>
/// The hub of a cluster node. It keeps this node's sessions (for delivery, fan-out, drain and the directory's
/// rebuild queries) but decides nothing alone: the user's directory entity admits sessions under the cluster-wide
/// cap and decides each SEND, and broadcasts go through the cluster-wide topic to every node's hub.
/// </summary>
/// <remarks>
/// The route of a SEND: the session's <see cref="SendToUser"/> becomes a <see cref="RouteSend"/> to the receiver's
/// <see cref="UserEntity"/>, which hands a <see cref="DeliverRouted"/> to the hub of every node holding a session of
/// the receiver; each of those hubs delivers and answers this hub with a <see cref="SendRouted"/>, and the
/// <see cref="AnswerLedger"/> passes the answers on in the session's SEND order as <see cref="SendAck"/>s.
/// With the inbox (protocol 1.1) the entity stores the SEND first and answers too; the hub keeps which users hold an
/// inbox (listed from the store at start, announced by entities since) for the entities' rebuilds.
/// </remarks>
public sealed class ClusterHubActor : HubActorBase
{
    private const string RetryTimerKey = "send-retries";
    private const string CopiesTimerKey = "delivered-copies";

    // An answer is ~20 bytes on the wire: a full batch stays far below Akka.Remote's frame size limit.
    private const int MaxAnswersPerBatch = 1024;

    private readonly ClusterHubSettings _clusterSettings;
    private readonly IActorRef _directory;
    private readonly IActorRef _broadcastPublisher;

    // The SENDs handed to directories, retried until each is answered (in SEND order).
    private readonly AnswerLedger _answers;

    // What other hubs' SENDs this hub delivered, so a retry's copy is not delivered twice.
    private readonly DeliveredCopies _copies;

    // Answers for other nodes' hubs, sent as one batch per hub.
    private readonly OutgoingBatches<IActorRef, SendRouted> _answersToSend = new(MaxAnswersPerBatch);

    // Users known to hold an inbox, for the entities' rebuilds; and sessions that opted in, until their claim is answered.
    private readonly HashSet<ulong> _inboxUsers = new();
    private readonly HashSet<IActorRef> _claimingReaders = new();

    // Rebuild queries that came before the store's list of inboxes (null once it came, or with no inbox).
    private List<(IActorRef Entity, ReportSessions Query)>? _reportsBeforeListed;

    /// <summary>Creates the hub of a cluster node that defers to <paramref name="directory"/> and broadcasts through <paramref name="broadcastPublisher"/>.</summary>
    public ClusterHubActor(HubSettings settings, ClusterHubSettings clusterSettings, IActorRef directory, IActorRef broadcastPublisher, RelayMetrics? metrics = null)
        : base(settings, metrics)
    {
        _clusterSettings = clusterSettings;
        _directory = directory;
        _broadcastPublisher = broadcastPublisher;
        _answers = new AnswerLedger(clusterSettings.RetryInterval, clusterSettings.GiveUpTimeout, Log);
        _copies = new DeliveredCopies(clusterSettings.DeliveredMemory);
        Receive<FanOut>(m => FanOutLocally(m.Payload));
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
        Receive<InboxUsersKnown>(OnInboxUsersKnown);
        Receive<InboxKnown>(OnInboxKnown);
        Receive<GetUserInbox>(query => _directory.Forward(query));
        if (clusterSettings.InboxReadJournalId is { } readJournalId)
        {
            _reportsBeforeListed = [];
            Context.ActorOf(StoredInboxLister.GetProps(readJournalId), "inbox-lister");
        }
    }

    /// <summary>Props for a cluster node's hub.</summary>
    public static Props GetProps(HubSettings settings, ClusterHubSettings clusterSettings, IActorRef directory, IActorRef broadcastPublisher, RelayMetrics? metrics = null) =>
        Akka.Actor.Props.Create(() => new ClusterHubActor(settings, clusterSettings, directory, broadcastPublisher, metrics));

    /// <inheritdoc />
    protected override void Admit(Register message)
    {
        // The user's directory entity decides (the cap is cluster-wide); its answer comes
        // back here and is passed on. Watch now, so a drain waits for this session too.
        Watch(message.Session);
        var resume = _clusterSettings.InboxReadJournalId is null ? default : message.Resume;
        if (resume.OptsIn)
        {
            _claimingReaders.Add(message.Session);
            _inboxUsers.Add(message.UserId);
        }

        _directory.Tell(new ClaimSession(message.UserId, message.Session) { Resume = resume });
    }

    /// <inheritdoc />
    protected override void Send(SendToUser message)
    {
        // The sender's id and mid travel with every retry: the receiver's inbox recognises a copy by them.
        _directory.Tell(_answers.Add(Sender, message.SenderId, message.Receiver, message.Payload, message.Mid));
        if (!Timers.IsTimerActive(RetryTimerKey))
        {
            // Checked a few times per interval, so a retry leaves at most a third of an interval late.
            var period = TimeSpan.FromTicks(Math.Max(_clusterSettings.RetryInterval.Ticks / 3, TimeSpan.FromMilliseconds(20).Ticks));
            Timers.StartPeriodicTimer(RetryTimerKey, RetryDue.Instance, period);
        }
    }

    /// <inheritdoc />
    // Every node's hub, this one included, gets it back once as a FanOut.
    protected override void Broadcast(BroadcastToAll message) => _broadcastPublisher.Tell(message);

    /// <inheritdoc />
    // The user's directory entity knows every node's sessions; it answers the asker directly.
    protected override void CountSessions(GetUserSessions query) => _directory.Forward(query);

    /// <inheritdoc />
    protected override void Unrouted(ulong userId, IActorRef session, bool reader) => _directory.Tell(new ReleaseSession(userId, session));

    /// <inheritdoc />
    protected override void Ended(IActorRef session)
    {
        _answers.Forget(session);
        _claimingReaders.Remove(session);
    }

    private void OnSessionClaimed(SessionClaimed claimed)
    {
        if (!IsLive(claimed.Session) || Draining)
        {
            // Stopped (or the node began draining) while the claim was in flight: give it back.
            _directory.Tell(new ReleaseSession(claimed.UserId, claimed.Session));
            if (IsLive(claimed.Session))
            {
                claimed.Session.Tell(new RegistrationRefused(claimed.UserId, RefusalReason.Draining, "server is shutting down"));
            }

            return;
        }

        if (!IsRouted(claimed.Session))
        {
            // A reader gets its user's messages from the inbox (the entity opens it), never from this hub.
            Route(claimed.UserId, claimed.Session, reader: _claimingReaders.Remove(claimed.Session));
        }

        claimed.Session.Tell(new Registered(claimed.UserId));
    }

    private void OnClaimRefused(ClaimRefused refused)
    {
        _claimingReaders.Remove(refused.Session);
        if (IsLive(refused.Session))
        {
            refused.Session.Tell(new RegistrationRefused(refused.UserId, RefusalReason.SessionLimit, refused.Detail));
        }
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
        if (!pair.IsCopy(message.Sequence, LocalSessionCount(message.Receiver) > 0, out var delivered))
        {
            delivered = DeliverLocally(message.Receiver, message.Payload);
            pair.Record(message.Sequence, delivered);
        }

        if (!Timers.IsTimerActive(CopiesTimerKey))
        {
            Timers.StartPeriodicTimer(CopiesTimerKey, ForgetCopies.Instance, _clusterSettings.DeliveredMemory / 2);
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

    private void OnReportSessions(ReportSessions query)
    {
        if (_reportsBeforeListed is { } waiting)
        {
            // Until the store has said which users hold an inbox, a report could not tell: the entity waits (up to its
            // rebuild timeout) rather than treat a user with stored messages as one without.
            waiting.Add((Sender, query));
            return;
        }

        Report(Sender, query.UserId);
    }

    private void Report(IActorRef entity, ulong userId)
    {
        var sessions = LocalSessionsOf(userId);
        var readers = sessions.Where(IsReader).ToArray();
        entity.Tell(new SessionsReport(userId, sessions) { Readers = readers, HasInbox = _inboxUsers.Contains(userId) });
    }

    /// <inheritdoc />
    protected override bool InboxesListed => _reportsBeforeListed is null;

    private void OnInboxUsersKnown(InboxUsersKnown known)
    {
        _inboxUsers.UnionWith(known.Users);
        if (_reportsBeforeListed is { } waiting)
        {
            _reportsBeforeListed = null;
            foreach (var (entity, query) in waiting)
            {
                Report(entity, query.UserId);
            }
        }
    }

    private void OnInboxKnown(InboxKnown known)
    {
        if (known.Exists)
        {
            _inboxUsers.Add(known.UserId);
        }
        else
        {
            _inboxUsers.Remove(known.UserId);
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

    private void OnRetryDue()
    {
        _answers.RetryDue(send => _directory.Tell(send, Self));
        if (!_answers.NeedsRetryChecks)
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

    private sealed class RetryDue
    {
        public static readonly RetryDue Instance = new();
    }

    private sealed class ForgetCopies
    {
        public static readonly ForgetCopies Instance = new();
    }

    private sealed class FlushAnswers
    {
        public static readonly FlushAnswers Instance = new();
    }
}
