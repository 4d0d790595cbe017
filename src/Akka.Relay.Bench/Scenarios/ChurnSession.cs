using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// What one short-lived churn session receives: its own SENDs back (checked for order) and their
/// acks. <see cref="Done"/> completes once every SEND was delivered and acked.
/// </summary>
public sealed class ChurnSession : IMessageSink
{
    private readonly ulong _userId;
    private readonly int _expected;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextSequence;
    private int _delivered;
    private int _acked;
    private int _notOnline;
    private int _errors;
    private int _fifoViolations;
    private int _unexpected;

    /// <summary>Creates the sink for a session of <paramref name="userId"/> that sends <paramref name="expected"/> SENDs to itself.</summary>
    public ChurnSession(ulong userId, int expected)
    {
        _userId = userId;
        _expected = expected;
    }

    /// <summary>Completes when every SEND has come back and been acked.</summary>
    public Task Done => _done.Task;

    /// <summary>Own SENDs received.</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    /// <summary><c>success send</c> acks received.</summary>
    public int Acked => Volatile.Read(ref _acked);

    /// <summary><c>not online</c> acks received (the session itself is online, so each is an error).</summary>
    public int NotOnline => Volatile.Read(ref _notOnline);

    /// <summary><c>error: …</c> replies received.</summary>
    public int Errors => Volatile.Read(ref _errors);

    /// <summary>Own SENDs that arrived after a later one.</summary>
    public int FifoViolations => Volatile.Read(ref _fifoViolations);

    /// <summary>Anything else.</summary>
    public int Unexpected => Volatile.Read(ref _unexpected);

    /// <inheritdoc />
    public void OnMessage(ReadOnlySpan<byte> message)
    {
        if (!WireFormat.TryRead(message, out var m))
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }

        if (m.Type == WireFormat.TypeSystem)
        {
            switch (m.Kind)
            {
                case ContentKind.SuccessSend:
                    Interlocked.Increment(ref _acked);
                    break;
                case ContentKind.NotOnline:
                    Interlocked.Increment(ref _notOnline);
                    break;
                default:
                    Interlocked.Increment(ref _errors);
                    break;
            }
        }
        else if (m.Type == WireFormat.TypeSend && m.Kind == ContentKind.Timed && m.Sender == _userId)
        {
            if (m.Sequence < _nextSequence)
            {
                Interlocked.Increment(ref _fifoViolations);
            }
            else
            {
                _nextSequence = m.Sequence + 1;
            }

            Interlocked.Increment(ref _delivered);
        }
        else
        {
            // Broadcasts from other clients of the same server are not this session's business.
            if (m.Type != WireFormat.TypeBroadcast)
            {
                Interlocked.Increment(ref _unexpected);
            }

            return;
        }

        if (Delivered >= _expected && Acked + NotOnline + Errors >= _expected)
        {
            _done.TrySetResult();
        }
    }
}
