using System.Diagnostics;
using System.Net.WebSockets;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// One client of a pair: sends SENDs to its peer with at most a window unacked, and checks what
/// it receives: acks free window slots; the peer's messages are checked for order and timed.
/// Counters are written by one loop each and read by others with <see cref="Volatile"/>. A client
/// that opted in to its inbox (<c>?resume=0</c>) also checks the <c>resume</c> header and the
/// <c>seq</c> of every message it receives (<see cref="InboxSequence"/>).
/// </summary>
public sealed class PairClient : IMessageSink
{
    private readonly MeasurementWindow _window;
    private readonly LatencyRecorder _latency;
    private readonly LatencyRecorder? _sendLag;
    private readonly SemaphoreSlim _slots;
    private readonly byte[] _buffer;
    private readonly int _size;
    private RelayConnection? _connection;
    private long _sent;
    private long _acked;
    private long _notOnline;
    private long _stored;
    private long _inboxUnavailable;
    private long _errorReplies;
    private long _delivered;
    private long _fifoViolations;
    private long _unexpected;
    private long _expectedSequence;

    /// <summary>Creates the client for <paramref name="userId"/>; <paramref name="optedIn"/>: its session connects with <c>?resume=0</c>.</summary>
    public PairClient(ulong userId, int window, int size, MeasurementWindow measurement, LatencyRecorder latency, LatencyRecorder? sendLag = null, bool optedIn = false)
    {
        UserId = userId;
        OptedIn = optedIn;
        Inbox = new InboxSequence(optedIn);
        _size = size;
        _window = measurement;
        _latency = latency;
        _sendLag = sendLag;
        _slots = new SemaphoreSlim(window);
        _buffer = new byte[WireFormat.MaxEncodedLength(size)];
    }

    /// <summary>This client's user id.</summary>
    public ulong UserId { get; }

    /// <summary>True when this client's session opts in to its inbox (<c>?resume=0</c>).</summary>
    public bool OptedIn { get; }

    /// <summary>The check of the resume header and of the <c>seq</c> of what this client receives.</summary>
    public InboxSequence Inbox { get; }

    /// <summary>The other client of the pair.</summary>
    public PairClient Peer { get; set; } = null!;

    /// <summary>Why sending stopped early, if it did.</summary>
    public string? SendFailure { get; private set; }

    /// <summary>SENDs written.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary><c>success send</c> acks received.</summary>
    public long Acked => Volatile.Read(ref _acked);

    /// <summary><c>not online</c> replies received.</summary>
    public long NotOnline => Volatile.Read(ref _notOnline);

    /// <summary><c>stored</c> replies received (the peer had an inbox but no live session).</summary>
    public long Stored => Volatile.Read(ref _stored);

    /// <summary><c>error: inbox unavailable</c> replies received (not stored, not delivered).</summary>
    public long InboxUnavailable => Volatile.Read(ref _inboxUnavailable);

    /// <summary>Other <c>error: …</c> replies received.</summary>
    public long ErrorReplies => Volatile.Read(ref _errorReplies);

    /// <summary>The peer's messages received.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Peer messages that arrived after a later one.</summary>
    public long FifoViolations => Volatile.Read(ref _fifoViolations);

    /// <summary>Messages that were neither an ack nor the peer's.</summary>
    public long Unexpected => Volatile.Read(ref _unexpected);

    /// <summary>Messages this client sent that the server accepted but the peer never received (a <c>stored</c> one waits for a resume that this run never makes).</summary>
    public long Lost => Math.Max(0, Sent - NotOnline - ErrorReplies - InboxUnavailable - Peer.Delivered);

    /// <summary>
    /// The peer received more of this client's messages than were answered <c>success send</c> or
    /// <c>stored</c>: messages answered <c>not online</c> or <c>error: …</c> (e.g. <c>error: inbox
    /// unavailable</c>, "nothing delivered", protocol 1.1 section 9.3) that were delivered anyway.
    /// </summary>
    public long DeliveredDespiteRefusal => Math.Max(0, Peer.Delivered - Math.Max(0, Sent - NotOnline - ErrorReplies - InboxUnavailable));

    /// <summary>SENDs not answered at all.</summary>
    public long Unanswered => Math.Max(0, Sent - Acked - NotOnline - Stored - InboxUnavailable - ErrorReplies);

    /// <summary>Binds the client to its open session.</summary>
    public void Attach(RelayConnection connection) => _connection = connection;

    /// <inheritdoc />
    public void OnMessage(ReadOnlySpan<byte> message)
    {
        var now = Stopwatch.GetTimestamp();
        if (!WireFormat.TryRead(message, out var m))
        {
            _unexpected++;
            return;
        }

        if (m.Type == WireFormat.TypeSystem)
        {
            switch (m.Kind)
            {
                case ContentKind.Resume:
                    // The session's first frame, not an answer: it frees no window slot.
                    Inbox.OnHeader(m.Header!);
                    return;
                case ContentKind.SuccessSend:
                    Volatile.Write(ref _acked, _acked + 1);
                    break;
                case ContentKind.NotOnline:
                    Volatile.Write(ref _notOnline, _notOnline + 1);
                    break;
                case ContentKind.Stored:
                    Volatile.Write(ref _stored, _stored + 1);
                    break;
                case ContentKind.InboxUnavailable:
                    Volatile.Write(ref _inboxUnavailable, _inboxUnavailable + 1);
                    break;
                default:
                    Volatile.Write(ref _errorReplies, _errorReplies + 1);
                    break;
            }

            _slots.Release();
            return;
        }

        if (m.Type != WireFormat.TypeSend || m.Kind != ContentKind.Timed || m.Sender != Peer.UserId)
        {
            _unexpected++;
            return;
        }

        Inbox.OnDelivered(m.Seq);
        if (m.Sequence < _expectedSequence)
        {
            _fifoViolations++;
        }
        else
        {
            _expectedSequence = m.Sequence + 1;
        }

        Volatile.Write(ref _delivered, _delivered + 1);
        if (_window.IsMeasuring)
        {
            _latency.RecordSince(m.Timestamp, now);
        }
    }

    /// <summary>Sends to the peer until <paramref name="stop"/>, the budget or a send error ends it.</summary>
    public async Task SendLoopAsync(Pacer? pacer, MessageBudget budget, CancellationToken stop)
    {
        var connection = _connection ?? throw new InvalidOperationException("not attached");
        await Task.Yield();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
                var scheduled = pacer is null ? 0 : await pacer.NextAsync(stop).ConfigureAwait(false);
                if (!budget.TryTake())
                {
                    break;
                }

                // Latency is timed from the moment the message goes to the socket; how late that
                // is against the pacer's schedule (timer jitter, a full window) is recorded apart.
                var stamp = Stopwatch.GetTimestamp();
                if (pacer is not null && _window.IsMeasuring)
                {
                    _sendLag?.RecordSince(scheduled, stamp);
                }

                var length = WireFormat.EncodeTimed(_buffer, WireFormat.TypeSend, UserId, Peer.UserId, _sent, stamp, _size);
                Volatile.Write(ref _sent, _sent + 1);
                await connection.SendAsync(_buffer.AsMemory(0, length)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            SendFailure = e is WebSocketException ws ? $"send:{ws.WebSocketErrorCode}" : $"send:{e.GetType().Name}";
        }
    }
}
