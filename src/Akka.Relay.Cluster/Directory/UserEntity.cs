using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Cluster.Delivery;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Cluster.Directory;

/// <summary>
/// The one authority for one user id across the cluster (a sharded entity): it holds the
/// user's live sessions wherever they are connected, enforces the session cap, and decides
/// whether a SEND is <c>success send</c> or <c>not online</c>.
/// </summary>
/// <remarks>
/// Its state is only live sessions, so it is never persisted: when it starts (first use,
/// after a rebalance, or after its node crashed) it asks every node's hub for the user's
/// sessions and stashes other messages until all answered or the rebuild timeout passed.
/// Sessions on a node that has become unreachable stop counting at once; they are dropped
/// for good when that node is removed and their Terminated arrives.
/// A SEND is handed to the hub of each node with a session of the user, which delivers it to
/// its sessions and answers the SEND's hub, so the answer never overtakes the message on the
/// network and a sender waiting for answers cannot outrun the cluster.
/// Sending hubs retry what a moving shard dropped; the entity hands each hub's SENDs on in that hub's order
/// (<see cref="SendOrder"/>) and receiving hubs drop copies, so a retry neither reorders nor duplicates.
/// When the user holds an inbox (protocol 1.1), the entity is its parent: a SEND is stored first (the inbox hands it
/// to the reading sessions, wherever they are), then handed to the hubs of the version 1 sessions, then answered.
/// Whether the user holds one is learnt from the hubs' reports (each node lists the store's inboxes at start and
/// hears of new ones from the entities), so a user who never opted in costs no persistent actor and no store read.
/// </remarks>
public sealed class UserEntity : ReceiveActor, IWithStash, IWithTimers
{
    private const string RebuildTimerKey = "rebuild";
    private const string IdleTimerKey = "idle";
    private const string AppendsTimerKey = "appends";

    private readonly ulong _userId;
    private readonly UserDirectorySettings _settings;
    private readonly IActorRef _courier;
    private readonly AkkaCluster _cluster = AkkaCluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RelayMetrics? _metrics;

    // Null when the cluster keeps no inbox.
    private readonly UserInbox? _inbox;

    // The sessions that read the inbox: they get its stored copies, never a SEND's bytes from a hub.
    private readonly HashSet<IActorRef> _readers = new();
    private readonly List<PendingAppend> _overdue = new();
    // Each live session and the hub of its node (the one that claimed or reported it).
    private readonly Dictionary<IActorRef, IActorRef> _sessions = new();
    private readonly List<IActorRef> _receivingHubs = new();
    // Per sending hub: the order its SENDs are handed on in, across retries and copies.
    private readonly Dictionary<IActorRef, SendOrder> _orders = new();
    private IActorRef? _lastSendersHub;
    private SendOrder? _lastOrder;
    private int _awaitedReports;

    /// <summary>Creates the entity of <paramref name="userId"/>.</summary>
    public UserEntity(ulong userId, UserDirectorySettings settings, IActorRef courier, RelayMetrics? metrics = null)
    {
        _userId = userId;
        _settings = settings;
        _courier = courier;
        _metrics = metrics;
        _inbox = settings.Inbox is { } inbox ? new UserInbox(userId, inbox, _cluster.SelfAddress) : null;
        Rebuilding();
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the entity whose sharding id is <paramref name="entityId"/> (the user id in decimal); <paramref name="courier"/> carries its deliveries to other nodes.</summary>
    public static Props GetProps(string entityId, UserDirectorySettings settings, IActorRef courier, RelayMetrics? metrics = null) =>
        Akka.Actor.Props.Create(() => new UserEntity(ulong.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture), settings, courier, metrics));

    /// <inheritdoc />
    protected override void PreStart()
    {
        foreach (var member in _cluster.State.Members)
        {
            var live = member.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving;
            if (live && !_cluster.State.Unreachable.Contains(member))
            {
                Context.ActorSelection(new RootActorPath(member.Address) / "user" / HubActorBase.Name).Tell(new ReportSessions(_userId));
                _awaitedReports++;
            }
        }

        if (_awaitedReports == 0)
        {
            Serve();
            return;
        }

        Timers.StartSingleTimer(RebuildTimerKey, RebuildTimedOut.Instance, _settings.RebuildTimeout);
    }

    private void Rebuilding()
    {
        Receive<SessionsReport>(report =>
        {
            AddReported(report, Sender);
            if (--_awaitedReports == 0)
            {
                Serve();
            }
        });
        Receive<RebuildTimedOut>(_ =>
        {
            // Many entities time out together when a node goes away: RebuildWarningLog says it once for all of them.
            _log.Debug("User {0}: {1} hubs did not report within {2}; serving with {3} sessions", _userId, _awaitedReports, _settings.RebuildTimeout, _sessions.Count);
            Context.System.EventStream.Publish(new RebuildIncomplete(_userId, _awaitedReports, _settings.RebuildTimeout));
            Serve();
        });
        Receive<Terminated>(m => Remove(m.ActorRef));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Serve()
    {
        Timers.Cancel(RebuildTimerKey);
        Become(Serving);
        Stash.UnstashAll();
        StartIdleTimerIfEmpty();
    }

    private void Serving()
    {
        Receive<RouteSend>(OnSend);
        Receive<ClaimSession>(OnClaim);
        Receive<GetUserSessions>(m => Sender.Tell(new UserSessions(m.UserId, CountReachable())));
        Receive<ReleaseSession>(m => Remove(m.Session));
        Receive<Terminated>(m => Remove(m.ActorRef));
        // A late report (after the timeout) still carries live sessions.
        Receive<SessionsReport>(report => AddReported(report, Sender));
        Receive<InboxAppended>(OnAppended);
        Receive<InboxAppendFailed>(failed => OnAppendFailed(failed.RequestId));
        Receive<NoInbox>(OnNoInbox);
        Receive<AppendsDue>(_ => OnAppendsDue());
        Receive<GetUserInbox>(OnGetUserInbox);
        Receive<IdleTimedOut>(_ =>
        {
            if (_sessions.Count > 0)
            {
                return;
            }

            if (_inbox is { AnyPending: true })
            {
                // Not while the store still owes answers: they would be lost with this entity (the hubs' retries
                // would be recognised by the next one, but only after a retry interval).
                StartIdleTimerIfEmpty();
                return;
            }

            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Receive<RebuildTimedOut>(_ => { });
    }

    private void OnSend(RouteSend send)
    {
        var sendersHub = Sender;
        var order = OrderOf(sendersHub);
        switch (order.Classify(send))
        {
            case SendOrder.Verdict.Copy:
                // A retry whose first copy was handed on: answered as before, or handed on again to the receiving
                // hubs, which drop it and answer (the first answer may have died with a node). With an inbox the
                // inbox recognises the copy by its mid and answers what the first one got.
                if (order.WasUnavailable(send.Sequence))
                {
                    // Its first copy failed and was answered so; the store may be back by now, but the answer stands.
                    sendersHub.Tell(Unavailable(send));
                }
                else if (_inbox is { Exists: true })
                {
                    Append(send, sendersHub);
                }
                else if (order.WentToHubs(send.Sequence))
                {
                    HandOn(send, sendersHub);
                }
                else
                {
                    sendersHub.Tell(new SendRouted(send.Receiver, send.Sequence, Delivered: false, Hubs: 1));
                }

                return;
            case SendOrder.Verdict.Wait:
                // Its predecessor was dropped by a moving shard: its retry comes within the retry interval.
                if (!order.Wait(send, sendersHub))
                {
                    _log.Debug("User {0}: too many SENDs of {1} wait for an earlier one; this one comes again with its retry", _userId, sendersHub);
                }

                return;
        }

        order.HandedOn(send.Sequence, Decide(send, sendersHub));
        while (order.AnyWaiting && order.TryTakeNext(out var next, out var from))
        {
            order.HandedOn(next.Sequence, Decide(next, from));
        }
    }

    /// <summary>Stores <paramref name="send"/> in the inbox when the user holds one, else hands it on as in version 1; false when answered "not online" here.</summary>
    private bool Decide(RouteSend send, IActorRef sendersHub)
    {
        if (_inbox is { Exists: true })
        {
            Append(send, sendersHub);
            return true;
        }

        return HandOn(send, sendersHub);
    }

    private void Append(RouteSend send, IActorRef sendersHub)
    {
        var unreachable = _cluster.State.Unreachable;
        var plainSessions = false;
        foreach (var session in _sessions.Keys)
        {
            if (!_readers.Contains(session) && IsReachable(session, unreachable))
            {
                plainSessions = true;
                break;
            }
        }

        _inbox!.Append(Context, send, sendersHub, plainSessions);
        if (!Timers.IsTimerActive(AppendsTimerKey))
        {
            Timers.StartPeriodicTimer(AppendsTimerKey, AppendsDue.Instance, _inbox.CheckInterval);
        }
    }

    private void OnAppended(InboxAppended appended)
    {
        if (!_inbox!.TryTake(appended.RequestId, out var append))
        {
            return; // Answered already: it timed out.
        }

        var send = append.Send;
        if (appended.Duplicate)
        {
            // A retry of a stored message: answered as the first copy was, nothing delivered again.
            append.SendersHub.Tell(new SendRouted(send.Receiver, send.Sequence, appended.ReadersLive, Hubs: 1) { Stored = true });
            return;
        }

        _metrics?.InboxAppended(System.Diagnostics.Stopwatch.GetElapsedTime(append.StartedAt));

        // Durable now: the inbox handed it to the readers; the version 1 sessions get the bytes as sent, through
        // their hubs, which answer the SEND's hub as well; this entity's answer says it is stored.
        CollectReceivingHubs(readers: false);
        var hubs = _receivingHubs.Count + 1;
        if (_receivingHubs.Count > 0)
        {
            TellReceivingHubs(new DeliverRouted(send.Receiver, send.Payload, send.Sequence, hubs), append.SendersHub);
        }

        append.SendersHub.Tell(new SendRouted(send.Receiver, send.Sequence, appended.ReadersLive, hubs) { Stored = true });
    }

    private void OnAppendFailed(long requestId)
    {
        if (_inbox!.TryTake(requestId, out var append))
        {
            AnswerUnavailable(append);
        }
    }

    private void OnAppendsDue()
    {
        _inbox!.TakeOverdue(_overdue);
        foreach (var append in _overdue)
        {
            AnswerUnavailable(append);
        }

        _overdue.Clear();
        if (!_inbox.AnyPending)
        {
            Timers.Cancel(AppendsTimerKey);
        }
    }

    private void AnswerUnavailable(PendingAppend append)
    {
        _metrics?.InboxStoreFailed();
        OrderOf(append.SendersHub).AnsweredUnavailable(append.Send.Sequence);
        append.SendersHub.Tell(Unavailable(append.Send));
    }

    private static SendRouted Unavailable(RouteSend send) =>
        new(send.Receiver, send.Sequence, Delivered: false, Hubs: 1) { InboxUnavailable = true };

    private void OnNoInbox(NoInbox none)
    {
        if (!_inbox!.TryTake(none.RequestId, out var append))
        {
            return;
        }

        // The inbox expired (or the hubs knew of one the store no longer holds): version 1 from now on.
        if (_inbox.Exists)
        {
            _inbox.Exists = false;
            _inbox.Stop(Context);
            Announce(new InboxKnown(_userId, Exists: false));
        }

        HandOn(append.Send, append.SendersHub);
    }

    private void OnGetUserInbox(GetUserInbox query)
    {
        if (_inbox is { Exists: true })
        {
            _inbox.ActorIn(Context).Forward(GetInboxStatus.Instance);
            return;
        }

        Sender.Tell(new InboxStatus(null, 1, 0, 0, 0));
    }

    /// <summary>Tells every live member's hub (this node's included) what this entity learnt about the user's inbox.</summary>
    private void Announce(InboxKnown known)
    {
        foreach (var member in _cluster.State.Members)
        {
            if (member.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving or MemberStatus.Joining)
            {
                Context.ActorSelection(new RootActorPath(member.Address) / "user" / HubActorBase.Name).Tell(known);
            }
        }
    }

    /// <summary>Hands <paramref name="send"/> to the hub of every node with a reachable session of the user; false when there is none (then answered "not online" here).</summary>
    private bool HandOn(RouteSend send, IActorRef sendersHub)
    {
        CollectReceivingHubs(readers: true);
        if (_receivingHubs.Count == 0)
        {
            sendersHub.Tell(new SendRouted(send.Receiver, send.Sequence, Delivered: false, Hubs: 1));
            return false;
        }

        // Sent on behalf of the SEND's hub, which every receiving hub answers: it is "success send"
        // if any of them had a session left (one may have closed since the directory last heard of it).
        TellReceivingHubs(new DeliverRouted(send.Receiver, send.Payload, send.Sequence, _receivingHubs.Count), sendersHub);
        return true;
    }

    /// <summary>Collects in <c>_receivingHubs</c> the hubs of the user's reachable sessions (with <paramref name="readers"/> false: of its version 1 sessions only).</summary>
    private void CollectReceivingHubs(bool readers)
    {
        var unreachable = _cluster.State.Unreachable;
        _receivingHubs.Clear();
        foreach (var (session, hub) in _sessions)
        {
            if ((readers || !_readers.Contains(session)) && IsReachable(session, unreachable) && !_receivingHubs.Contains(hub))
            {
                _receivingHubs.Add(hub);
            }
        }
    }

    private void TellReceivingHubs(DeliverRouted delivery, IActorRef sendersHub)
    {
        foreach (var hub in _receivingHubs)
        {
            if (hub is IInternalActorRef { IsLocal: true })
            {
                hub.Tell(delivery, sendersHub);
            }
            else
            {
                _courier.Tell(new CourierDelivery(hub, delivery), sendersHub);
            }
        }
    }

    private SendOrder OrderOf(IActorRef sendersHub)
    {
        // Resolved remote refs are cached, so a stream of SENDs from one hub usually carries the same instance.
        if (ReferenceEquals(sendersHub, _lastSendersHub))
        {
            return _lastOrder!;
        }

        if (_orders.TryGetValue(sendersHub, out var order))
        {
            (_lastSendersHub, _lastOrder) = (sendersHub, order);
            return order;
        }

        // A new sending hub: forget those of nodes that have left the cluster (a restarted node's hub is a new one).
        foreach (var (hub, known) in _orders)
        {
            if (!known.AnyWaiting && hub is not IInternalActorRef { IsLocal: true } && !IsMember(hub.Path.Address))
            {
                _orders.Remove(hub);
                (_lastSendersHub, _lastOrder) = (null, null);
            }
        }

        order = new SendOrder();
        _orders[sendersHub] = order;
        (_lastSendersHub, _lastOrder) = (sendersHub, order);
        return order;
    }

    private bool IsMember(Address address)
    {
        foreach (var member in _cluster.State.Members)
        {
            if (member.Address.Equals(address))
            {
                return true;
            }
        }

        return false;
    }

    private void OnClaim(ClaimSession claim)
    {
        if (!_sessions.ContainsKey(claim.Session) && CountReachable() >= _settings.MaxSessionsPerUser)
        {
            Sender.Tell(new ClaimRefused(claim.UserId, claim.Session, $"user already holds the maximum of {_settings.MaxSessionsPerUser} sessions"));
            return;
        }

        Add(claim.Session, Sender);
        Sender.Tell(new SessionClaimed(claim.UserId, claim.Session));
        if (claim.Resume.OptsIn && _inbox is not null && _readers.Add(claim.Session))
        {
            if (!_inbox.Exists)
            {
                _inbox.Exists = true;
                Announce(new InboxKnown(_userId, Exists: true));
            }

            // The inbox (created if the user has none) sends the session its header, replay and live messages.
            _inbox.ActorIn(Context).Tell(new OpenInboxReader(claim.Resume.Seq, claim.Resume.Epoch, claim.Session));
        }
    }

    private void AddReported(SessionsReport report, IActorRef hub)
    {
        foreach (var session in report.Sessions)
        {
            Add(session, hub);
        }

        foreach (var reader in report.Readers)
        {
            _readers.Add(reader);
        }

        if (report.HasInbox && _inbox is not null)
        {
            _inbox.Exists = true;
        }
    }

    private void Add(IActorRef session, IActorRef hub)
    {
        if (_sessions.TryAdd(session, hub))
        {
            Context.Watch(session);
            Timers.Cancel(IdleTimerKey);
        }
    }

    private void Remove(IActorRef session)
    {
        if (_inbox is not null && _inbox.Ended(session))
        {
            // Its supervisor stopped for good; the next SEND or reader starts the inbox again.
            return;
        }

        if (_readers.Remove(session))
        {
            // A closing session reads no more: later SENDs wait for a resume (answered "stored") instead of being
            // counted as handed to it.
            _inbox?.TellIfRunning(new CloseInboxReader(session));
        }

        if (_sessions.Remove(session))
        {
            Context.Unwatch(session);
            StartIdleTimerIfEmpty();
        }
    }

    private void StartIdleTimerIfEmpty()
    {
        if (_sessions.Count == 0)
        {
            Timers.StartSingleTimer(IdleTimerKey, IdleTimedOut.Instance, _settings.IdleTimeout);
        }
    }

    private int CountReachable()
    {
        var unreachable = _cluster.State.Unreachable;
        var count = 0;
        foreach (var session in _sessions.Keys)
        {
            if (IsReachable(session, unreachable))
            {
                count++;
            }
        }

        return count;
    }

    private static bool IsReachable(IActorRef session, IReadOnlyCollection<Member> unreachable)
    {
        // A session on a node this one cannot reach does not count as online: SENDs answer
        // "not online" within the failure detector's window instead of waiting for the
        // Split Brain Resolver to remove the node. Local sessions are always reachable.
        if (unreachable.Count == 0)
        {
            return true;
        }

        var address = session.Path.Address;
        foreach (var member in unreachable)
        {
            if (member.Address.Equals(address))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class RebuildTimedOut
    {
        public static readonly RebuildTimedOut Instance = new();
    }

    private sealed class IdleTimedOut
    {
        public static readonly IdleTimedOut Instance = new();
    }

    private sealed class AppendsDue
    {
        public static readonly AppendsDue Instance = new();
    }
}
