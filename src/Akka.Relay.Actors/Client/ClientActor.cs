using System.Net.WebSockets;
using Akka.Actor;
using Akka.Event;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// One WebSocket session. It registers with its node's hub, owns the socket's read and write
/// pumps (detached tasks that talk to it only by messages), routes what the client sends,
/// and queues what the client should receive. It never awaits socket I/O in its mailbox.
/// </summary>
/// <remarks>
/// One of these lives per connected socket, so it dispatches with one <c>switch</c> instead of registering
/// <c>Receive</c> handlers: a ReceiveActor builds its handler delegates for every instance (~1.3 KiB per session).
/// </remarks>
public sealed class ClientActor : UntypedActor, IWithTimers
{
    private const string CloseTimerKey = "close-timeout";
    private const string ExpiryTimerKey = "credentials-expiry";
    private const string InboxOpenTimerKey = "inbox-open";

    // Tokens may live for days: long waits are split into steps of at most this, each re-checked.
    private static readonly TimeSpan MaxExpiryStep = TimeSpan.FromHours(1);

    private readonly ulong _userId;
    private readonly IActorRef _hub;
    private readonly ClientSettings _settings;
    private readonly SessionSignals _signals;
    private readonly Outbox _outbox;
    private readonly SendCredit _sendCredit;
    private ILoggingAdapter? _log;
    private readonly RelayMetrics? _metrics;
    private readonly ResumeRequest _resume;
    private WebSocket? _socket;
    private SessionEnd? _end;
    private bool _registered;
    private bool _closing;
    private bool _pumpsStopped;
    private DateTimeOffset? _expiresAt;

    // Protocol 9.2: a session that opted in gets its resume header as its first frame; what comes for it before the
    // header (a broadcast, an answer to an early SEND) waits here, in order, and follows the header. Null otherwise.
    private List<(byte[] Payload, OutboundKind Kind, bool ReturnsCredit)>? _beforeHeader;

    /// <summary>Creates the session actor for <paramref name="userId"/>; its name is the session id its log lines carry.</summary>
    public ClientActor(ulong userId, IActorRef hub, ClientSettings settings, SessionSignals signals, RelayMetrics? metrics = null, ResumeRequest resume = default)
    {
        _resume = resume;
        _userId = userId;
        _hub = hub;
        _settings = settings;
        _signals = signals;
        _metrics = metrics;
        _sendCredit = new SendCredit(settings.MaxUnansweredSends);
        _outbox = new Outbox(settings, _sendCredit, metrics);
        _beforeHeader = resume.OptsIn ? [] : null;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for one session of <paramref name="userId"/> registered with <paramref name="hub"/>.</summary>
    /// <remarks>
    /// <paramref name="resume"/>: when it opts in, the session reads its user's inbox (protocol 1.1) once registered.
    /// The actor runs on a <see cref="SessionMailbox"/>: the actor system must include <see cref="SessionMailbox.Definition"/>.
    /// </remarks>
    public static Props GetProps(ulong userId, IActorRef hub, ClientSettings settings, SessionSignals signals, RelayMetrics? metrics = null, ResumeRequest resume = default) =>
        Akka.Actor.Props.CreateBy(new ClientActorProducer(userId, hub, settings, signals, metrics, resume)).WithMailbox(SessionMailbox.Id);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Deliver deliver:
                Enqueue(deliver.Payload, KindOf(deliver));
                break;
            case InboundSend send:
                OnInboundSend(send);
                break;
            case SendAck ack:
                OnAck(ack);
                break;
            case InboxDelivery delivery:
                Enqueue(delivery.Payload, OutboundKind.Send);
                break;
            case InboundBroadcast broadcast:
                _metrics?.MessageReceived(InboundKind.Broadcast);
                Route(new BroadcastToAll(broadcast.Payload));
                break;
            case InboundRejected rejected:
                OnRejected(rejected);
                break;
            case Registered:
                OnRegistered();
                break;
            case RegistrationRefused refusal:
                OnRefused(refusal);
                break;
            case AttachSocket attach:
                OnAttach(attach);
                break;
            case AttachFailed:
                Context.Stop(Self);
                break;
            case InboxReaderOpened opened:
                OnReaderOpened(opened);
                break;
            case InboxReaderLost:
                OnReaderLost("the inbox stopped");
                break;
            case InboxReaderFailed failed:
                OnReaderLost(failed.Reason);
                break;
            case InboxOpenTimedOut:
                OnReaderLost($"the inbox did not open within {_settings.InboxOpenTimeout}");
                break;
            case Terminated:
                // The watched inbox (see OnReaderOpened) ended without a word: its node crashed or left.
                OnReaderLost("the inbox's node went away");
                break;
            case CloseSession close:
                BeginClose(close);
                break;
            case GoAway:
                BeginClose(CloseSession.GoingAway);
                break;
            case ReadPumpStopped stopped:
                OnReadPumpStopped(stopped);
                break;
            case CloseTimedOut:
                _socket?.Abort();
                break;
            case ExpireSessionAt expiry:
                OnExpireSessionAt(expiry);
                break;
            case ExpiryDue:
                CheckExpiry();
                break;
            case PumpsStopped:
                _pumpsStopped = true;
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // Made on first use: most sessions never log, and a logger holds its actor's path as a string.
    private ILoggingAdapter Log => _log ??= Context.GetLogger();

    /// <summary>The session's id: its actor's name (the hosting layer names it after the request).</summary>
    private string SessionId => Self.Path.Name;

    /// <inheritdoc />
    protected override void PreStart() => _hub.Tell(new Register(_userId, Self) { Resume = _resume });

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_registered)
        {
            _hub.Tell(new Unregister(_userId, Self));
        }

        _signals.Admit(new Admission.Refused(RefusalReason.Draining, "session ended before it was admitted"));
        if (_socket is not null)
        {
            var end = _end ?? SessionEnd.Stopped;
            _metrics?.Untrack(_outbox);
            _metrics?.SessionClosed(end.Code, end.Cause);
            // The event stream's level decides, so a session that ends quietly never makes its own logger. (Not
            // System.Log.IsDebugEnabled: that adapter is made before the configured level applies and says yes.)
            if (Context.System.EventStream.LogLevel <= LogLevel.DebugLevel)
            {
                Log.Debug("Session {SessionId} of user {UserId} ended: {CloseCause} ({CloseCode})", SessionId, _userId, end.Cause, end.Code);
            }
        }

        if (_socket is null)
        {
            _signals.Complete();
        }
        else if (!_pumpsStopped)
        {
            // Stopped from outside (actor system shutdown) with pumps still running: abort
            // them; Completion is signalled once both have really ended.
            _outbox.Close(CloseSession.GoingAway);
            _socket.Abort();
        }
    }

    private void OnRegistered()
    {
        _registered = true;
        _signals.Admit(new Admission.Accepted());
        if (_resume.OptsIn)
        {
            // The hub asks the inbox to open this reader right after registering it.
            Timers.StartSingleTimer(InboxOpenTimerKey, InboxOpenTimedOut.Instance, _settings.InboxOpenTimeout);
        }
    }

    private void OnRefused(RegistrationRefused refusal)
    {
        _signals.Admit(new Admission.Refused(refusal.Reason, refusal.Detail));
        Context.Stop(Self);
    }

    private void OnAttach(AttachSocket attach)
    {
        _socket = attach.Socket;
        var self = Self;
        var signals = _signals;
        _metrics?.SessionOpened();
        _metrics?.Track(_outbox);
        var readPump = ReadPump.RunAsync(attach.Socket, self, _userId, _settings.MaxMessageBytes, _sendCredit, _settings.RateLimit, _metrics);
        var writePump = _outbox.PumpAsync(attach.Socket);
        if (_closing && !Timers.IsTimerActive(CloseTimerKey))
        {
            // Closed (e.g. by a drain) before the upgrade finished, and the close timer
            // already ran out with no socket to abort: give the handshake its full time now.
            Timers.StartSingleTimer(CloseTimerKey, CloseTimedOut.Instance, _settings.CloseTimeout);
        }

        _ = AwaitPumpsAsync(readPump, writePump, signals, self);
    }

    // One small state machine per session instead of WhenAll plus a continuation: an idle session waits here.
    private static async Task AwaitPumpsAsync(Task readPump, Task writePump, SessionSignals signals, IActorRef self)
    {
        await readPump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await writePump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        signals.Complete();
        self.Tell(PumpsStopped.Instance);
    }

    private void Route(object message)
    {
        // Once closing, nothing more from this client is relayed.
        if (!_closing)
        {
            _hub.Tell(message);
        }
    }

    private void OnInboundSend(InboundSend send)
    {
        if (_resume.OptsIn && send.MidError is { } midError)
        {
            // A session that opted in relies on mid for safe retries: a bad one is refused, never silently ignored.
            OnRejected(new InboundRejected(midError));
            return;
        }

        _metrics?.MessageReceived(InboundKind.Send);
        Route(new SendToUser(send.Receiver, send.Payload) { SenderId = _userId, Mid = send.Mid });
    }

    private void OnReaderOpened(InboxReaderOpened opened)
    {
        // The header first; what waited for it, then the replay (at most MaxMessages, within the queue's bounds) and the
        // live messages follow it.
        Timers.Cancel(InboxOpenTimerKey);
        var waited = _beforeHeader;
        _beforeHeader = null;
        Enqueue(opened.Header, OutboundKind.System);
        foreach (var (payload, kind, returnsCredit) in waited ?? [])
        {
            Enqueue(payload, kind, returnsCredit);
        }

        // In a cluster the inbox may live on another node: if that node dies, its successor knows nothing of this
        // reader, so the session closes and its client resumes (getting what was stored meanwhile, once).
        Context.Watch(Sender);
        _metrics?.InboxReplay(opened.Last >= opened.First ? opened.Last - opened.First + 1 : 0);
    }

    private void OnReaderLost(string reason)
    {
        Log.Warning("Session {SessionId} of user {UserId} lost its inbox reader ({Reason}): closing it so that the client resumes", SessionId, _userId, reason);
        BeginClose(CloseSession.InboxLost);
    }

    private void OnRejected(InboundRejected rejected)
    {
        _metrics?.MessageReceived(InboundKind.Rejected);
        // The read pump took a credit for it: given back once the error reply is written.
        if (Enqueue(SystemMessages.Error(_userId, rejected.Reason), OutboundKind.System, returnsCredit: true))
        {
            _metrics?.ErrorReply(rejected.Reason);
        }
    }

    private void OnAck(SendAck ack)
    {
        // A SEND's credit comes back once its answer is written, not when it is queued: a client that writes
        // faster than its answers go out is slowed down by its own answers instead of overflowing its queue with them.
        var answer = ack.Outcome switch
        {
            SendOutcome.Delivered => SystemMessages.SuccessSend(ack.Receiver),
            SendOutcome.NotOnline => SystemMessages.NotOnline(ack.Receiver),
            SendOutcome.Stored => SystemMessages.Stored(ack.Receiver),
            SendOutcome.InboxUnavailable => SystemMessages.InboxUnavailable(_userId),
            _ => SystemMessages.Error(_userId, ErrorReasons.NoRoute),
        };
        if (Enqueue(answer, OutboundKind.System, returnsCredit: true))
        {
            if (ack.Outcome is SendOutcome.Stored or SendOutcome.InboxUnavailable)
            {
                _metrics?.InboxAck(ack.Outcome == SendOutcome.Stored);
            }
            else
            {
                _metrics?.Ack(ack.Delivered);
            }
        }
    }

    private static OutboundKind KindOf(Deliver deliver) =>
        SystemMessages.IsSystemMessage(deliver.Payload) ? OutboundKind.System
        : deliver.Broadcast ? OutboundKind.Broadcast
        : OutboundKind.Send;

    private bool Enqueue(byte[] payload, OutboundKind kind, bool returnsCredit = false)
    {
        if (_closing)
        {
            return false;
        }

        if (_beforeHeader is not null)
        {
            if (_beforeHeader.Count >= _settings.OutboundQueueCapacity)
            {
                Log.Warning("Session {SessionId} of user {UserId}: {Waiting} messages wait for an inbox that has not opened: closing it", SessionId, _userId, _beforeHeader.Count);
                BeginClose(CloseSession.InboxLost);
                return false;
            }

            _beforeHeader.Add((payload, kind, returnsCredit));
            return true;
        }

        if (!_outbox.TryEnqueue(payload, returnsCredit))
        {
            Log.Warning("Session {SessionId} of user {UserId} is a slow consumer ({QueuedMessages} messages, {QueuedBytes} bytes queued): closing it", SessionId, _userId, _outbox.Count, _outbox.Bytes);
            BeginClose(CloseSession.SlowConsumer);
            return false;
        }

        _metrics?.MessageSent(kind);
        return true;
    }

    private void BeginClose(CloseSession close)
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        _end ??= SessionEnd.ServerClose(close);
        Unregister();
        _sendCredit.Open();
        _outbox.Close(close);
        Timers.StartSingleTimer(CloseTimerKey, CloseTimedOut.Instance, _settings.CloseTimeout);
    }

    private void OnExpireSessionAt(ExpireSessionAt expiry)
    {
        _expiresAt = expiry.ExpiresAt;
        CheckExpiry();
    }

    private void CheckExpiry()
    {
        if (_expiresAt is not { } expiresAt || _closing)
        {
            return;
        }

        var remaining = expiresAt - DateTimeOffset.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            Timers.StartSingleTimer(ExpiryTimerKey, ExpiryDue.Instance, remaining < MaxExpiryStep ? remaining : MaxExpiryStep);
            return;
        }

        Log.Info("Session of user {0}: its token expired at {1:O}; closing it", _userId, expiresAt);
        BeginClose(CloseSession.TokenExpired);
    }

    private void OnReadPumpStopped(ReadPumpStopped stopped)
    {
        // The client closed or vanished: unregister at once, answer its close frame if it
        // sent one, and let the write pump finish.
        _end ??= SessionEnd.Of(stopped.End, _socket?.CloseStatus);
        _closing = true;
        Unregister();
        _sendCredit.Open();
        // Echo the client's close code, as RFC 6455 §5.5.1 suggests.
        var status = _socket?.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        _outbox.Close(new CloseSession(status, string.Empty, DiscardPending: true));
        if (!Timers.IsTimerActive(CloseTimerKey))
        {
            Timers.StartSingleTimer(CloseTimerKey, CloseTimedOut.Instance, _settings.CloseTimeout);
        }
    }

    private void Unregister()
    {
        if (_registered)
        {
            _registered = false;
            _hub.Tell(new Unregister(_userId, Self));
        }
    }
}
