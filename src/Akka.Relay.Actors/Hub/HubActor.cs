using Akka.Actor;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Actors.Telemetry;

namespace Akka.Relay.Actors.Hub;

/// <summary>
/// The hub of a relay that runs alone: this node's sessions are every session there is, so the hub is its own
/// per-user directory. It admits sessions under the per-user cap, answers each SEND from its own map, and fans
/// broadcasts out. It only routes messages between actors and never touches a socket, so a slow peer cannot
/// block it. With an inbox (protocol 1.1) a SEND to a user who has one is stored first, then delivered, and its
/// sender's answers stay in the order of its SENDs.
/// </summary>
public sealed class HubActor : HubActorBase
{
    private const string AppendsTimerKey = "inbox-appends";

    private readonly InboxRouting? _inbox;
    private readonly IActorRef? _shelf;
    private readonly RelayMetrics? _metrics;

    // Users whose inbox the store holds or who opted in while running; only SENDs to them go through an inbox.
    private readonly HashSet<ulong> _inboxUsers = [];

    private readonly OrderedAnswers _answers = new();
    private readonly Dictionary<long, InboxAppend> _appends = [];
    private readonly AppendDeadlines? _deadlines;
    private readonly List<long> _due = [];

    // SENDs that arrived before the shelf listed the stored inboxes (null once it has).
    private List<(IActorRef From, SendToUser Send)>? _beforeListed;
    private long _nextRequestId;

    /// <summary>Creates the hub of a single node; with <paramref name="inbox"/> it routes SENDs through users' inboxes.</summary>
    public HubActor(HubSettings settings, RelayMetrics? metrics = null, InboxRouting? inbox = null)
        : base(settings, metrics)
    {
        _metrics = metrics;
        _inbox = inbox;
        if (inbox is not null)
        {
            _shelf = Context.ActorOf(inbox.ShelfProps, "inboxes");
            _deadlines = new AppendDeadlines(inbox.AppendTimeout);
            _beforeListed = [];
        }

        Receive<InboxUsersKnown>(OnInboxUsersKnown);
        Receive<InboxAppended>(OnAppended);
        Receive<InboxAppendFailed>(failed => OnAppendFailed(failed.RequestId));
        Receive<NoInbox>(OnNoInbox);
        Receive<AppendsDue>(_ => OnAppendsDue());
        Receive<GetUserInbox>(OnGetUserInbox);
    }

    /// <summary>Props for a single node's hub.</summary>
    public static Props GetProps(HubSettings settings, RelayMetrics? metrics = null, InboxRouting? inbox = null) =>
        Akka.Actor.Props.Create(() => new HubActor(settings, metrics, inbox));

    /// <inheritdoc />
    protected override void Admit(Register message)
    {
        if (LocalSessionCount(message.UserId) >= Settings.MaxSessionsPerUser)
        {
            Sender.Tell(new RegistrationRefused(
                message.UserId,
                RefusalReason.SessionLimit,
                $"user already holds the maximum of {Settings.MaxSessionsPerUser} sessions"));
            return;
        }

        var reader = _shelf is not null && message.Resume.OptsIn;
        Route(message.UserId, message.Session, reader);
        Watch(message.Session);
        Sender.Tell(new Registered(message.UserId));
        if (reader)
        {
            // Registered first: the session's header, replay and live messages follow it from the inbox.
            _inboxUsers.Add(message.UserId);
            _shelf.Tell(new ToInbox(message.UserId, new OpenInboxReader(message.Resume.Seq, message.Resume.Epoch, message.Session)));
        }
    }

    /// <inheritdoc />
    protected override void Send(SendToUser message)
    {
        if (_beforeListed is not null)
        {
            _beforeListed.Add((Sender, message));
            return;
        }

        Route(Sender, message);
    }

    /// <inheritdoc />
    protected override void Broadcast(BroadcastToAll message) => FanOutLocally(message.Payload);

    /// <inheritdoc />
    protected override void CountSessions(GetUserSessions query) =>
        Sender.Tell(new UserSessions(query.UserId, LocalSessionCount(query.UserId)));

    /// <inheritdoc />
    protected override void Unrouted(ulong userId, IActorRef session, bool reader)
    {
        if (reader)
        {
            // A closing session reads no more: later SENDs wait for a resume (answered "stored") instead of being
            // counted as handed to it.
            _shelf!.Tell(new ToInbox(userId, new CloseInboxReader(session)));
        }
    }

    /// <inheritdoc />
    protected override void Ended(IActorRef session) => _answers.Forget(session);

    private void Route(IActorRef from, SendToUser message)
    {
        if (!_inboxUsers.Contains(message.Receiver))
        {
            var ack = new SendAck(message.Receiver, DeliverLocally(message.Receiver, message.Payload));
            if (_answers.IsWaiting(from))
            {
                _answers.Complete(_answers.Reserve(from), ack);
            }
            else
            {
                // Today's path and cost: nothing of this sender waits for an inbox.
                from.Tell(ack);
            }

            return;
        }

        var requestId = ++_nextRequestId;
        _appends[requestId] = new InboxAppend(message, _answers.Reserve(from), System.Diagnostics.Stopwatch.GetTimestamp());
        var append = new AppendToInbox(requestId, message.SenderId, message.Mid, message.Payload) { SessionsLive = HasPlainSession(message.Receiver) };
        _shelf!.Tell(new ToInbox(message.Receiver, append));
        _deadlines!.Add(requestId);
        if (!Timers.IsTimerActive(AppendsTimerKey))
        {
            Timers.StartPeriodicTimer(AppendsTimerKey, AppendsDue.Instance, _deadlines.CheckInterval);
        }
    }

    /// <inheritdoc />
    protected override bool InboxesListed => _beforeListed is null;

    private void OnInboxUsersKnown(InboxUsersKnown known)
    {
        _inboxUsers.UnionWith(known.Users);
        if (_beforeListed is { } waiting)
        {
            _beforeListed = null;
            foreach (var (from, send) in waiting)
            {
                Route(from, send);
            }
        }
    }

    private void OnAppended(InboxAppended appended)
    {
        if (!TryTake(appended.RequestId, out var append))
        {
            return; // Answered already: it timed out.
        }

        var receiver = append.Send.Receiver;
        var delivered = appended.ReadersLive;
        if (!appended.Duplicate)
        {
            _metrics?.InboxAppended(System.Diagnostics.Stopwatch.GetElapsedTime(append.StartedAt));
            // Durable now: the version 1 sessions of the user get the bytes as sent, without seq.
            delivered |= DeliverLocally(receiver, append.Send.Payload);
        }

        _answers.Complete(append.Answer, new SendAck(receiver, delivered ? SendOutcome.Delivered : SendOutcome.Stored));
    }

    private void OnAppendFailed(long requestId)
    {
        if (TryTake(requestId, out var append))
        {
            _metrics?.InboxStoreFailed();
            _answers.Complete(append.Answer, new SendAck(append.Send.Receiver, SendOutcome.InboxUnavailable));
        }
    }

    private void OnNoInbox(NoInbox none)
    {
        if (!TryTake(none.RequestId, out var append))
        {
            return;
        }

        // The inbox expired (or the store listed one that is gone): version 1 from now on.
        var receiver = append.Send.Receiver;
        if (!HasReader(receiver))
        {
            _inboxUsers.Remove(receiver);
        }

        _answers.Complete(append.Answer, new SendAck(receiver, DeliverLocally(receiver, append.Send.Payload)));
    }

    private void OnGetUserInbox(GetUserInbox query)
    {
        if (_shelf is null || !_inboxUsers.Contains(query.UserId))
        {
            Sender.Tell(new InboxStatus(null, 1, 0, 0, 0));
            return;
        }

        _shelf.Forward(new ToInbox(query.UserId, GetInboxStatus.Instance));
    }

    private bool TryTake(long requestId, out InboxAppend append) => _appends.Remove(requestId, out append!);

    private void OnAppendsDue()
    {
        _deadlines!.TakeDue(_appends.ContainsKey, _due);
        foreach (var requestId in _due)
        {
            OnAppendFailed(requestId);
        }

        _due.Clear();
        if (_appends.Count == 0)
        {
            Timers.Cancel(AppendsTimerKey);
        }
    }

    private sealed record InboxAppend(SendToUser Send, PendingAnswer Answer, long StartedAt);

    private sealed record AppendsDue
    {
        public static readonly AppendsDue Instance = new();
    }
}
