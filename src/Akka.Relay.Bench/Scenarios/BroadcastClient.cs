using System.Diagnostics;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>One receiving client of <c>broadcast</c> (every client receives, senders included): checks order per sender and times each delivery.</summary>
public sealed class BroadcastClient : IMessageSink
{
    private readonly Broadcaster[] _senders;
    private readonly ulong _firstSenderId;
    private readonly long[] _expected;
    private readonly MeasurementWindow _window;
    private readonly LatencyRecorder _latency;
    private long _delivered;
    private long _fifoViolations;
    private long _unexpected;
    private long _errorReplies;

    /// <summary>Creates a receiver that knows the senders (user ids <paramref name="firstSenderId"/> onwards).</summary>
    public BroadcastClient(Broadcaster[] senders, ulong firstSenderId, MeasurementWindow window, LatencyRecorder latency)
    {
        _senders = senders;
        _firstSenderId = firstSenderId;
        _expected = new long[senders.Length];
        _window = window;
        _latency = latency;
    }

    /// <summary>Broadcasts received from the known senders.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Broadcasts that arrived after a later one of the same sender.</summary>
    public long FifoViolations => Volatile.Read(ref _fifoViolations);

    /// <summary>Messages that were not a known sender's broadcast.</summary>
    public long Unexpected => Volatile.Read(ref _unexpected);

    /// <summary><c>error: …</c> replies received.</summary>
    public long ErrorReplies => Volatile.Read(ref _errorReplies);

    /// <inheritdoc />
    public void OnMessage(ReadOnlySpan<byte> message)
    {
        var now = Stopwatch.GetTimestamp();
        if (!WireFormat.TryRead(message, out var m))
        {
            _unexpected++;
            return;
        }

        var index = m.Sender - _firstSenderId;
        if (m.Type != WireFormat.TypeBroadcast || m.Kind != ContentKind.Timed || m.Sender < _firstSenderId || index >= (ulong)_senders.Length)
        {
            if (m.Kind == ContentKind.Error)
            {
                Volatile.Write(ref _errorReplies, _errorReplies + 1);
            }
            else
            {
                _unexpected++;
            }

            return;
        }

        ref var expected = ref _expected[index];
        if (m.Sequence < expected)
        {
            _fifoViolations++;
        }
        else
        {
            expected = m.Sequence + 1;
        }

        Volatile.Write(ref _delivered, _delivered + 1);
        _senders[index].OnDelivered(m.Sequence);
        if (_window.IsMeasuring)
        {
            _latency.RecordSince(m.Timestamp, now);
        }
    }
}
