using System.Diagnostics;
using System.Net.WebSockets;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// One broadcasting client's sending side. A broadcast is complete once every client has received
/// it; at most a window of this sender's broadcasts may be incomplete. Completion is counted per
/// sequence number in a ring of counters (each receiver gets one sender's broadcasts in order, so
/// they complete in order and a slot is free again once its broadcast completed).
/// </summary>
public sealed class Broadcaster
{
    private readonly SemaphoreSlim _slots;
    private readonly int[] _ring;
    private readonly int _receivers;
    private readonly int _size;
    private readonly byte[] _buffer;
    private readonly MeasurementWindow? _measurement;
    private readonly LatencyRecorder? _sendLag;
    private long _sent;
    private long _completed;

    /// <summary>Creates the sender for <paramref name="userId"/>; each broadcast is expected by <paramref name="receivers"/> clients.</summary>
    public Broadcaster(ulong userId, int window, int size, int receivers, MeasurementWindow? measurement = null, LatencyRecorder? sendLag = null)
    {
        UserId = userId;
        _measurement = measurement;
        _sendLag = sendLag;
        _slots = new SemaphoreSlim(window);
        _ring = new int[Math.Max(16, window * 2)];
        _receivers = receivers;
        _size = size;
        _buffer = new byte[WireFormat.MaxEncodedLength(size)];
    }

    /// <summary>The sender's user id.</summary>
    public ulong UserId { get; }

    /// <summary>Broadcasts written.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Broadcasts received by every client.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Why sending stopped early, if it did.</summary>
    public string? SendFailure { get; private set; }

    /// <summary>Called by a receiving client for each of this sender's broadcasts it gets.</summary>
    public void OnDelivered(long sequence)
    {
        if (sequence < 0 || sequence >= Sent)
        {
            return;
        }

        if (Interlocked.Increment(ref _ring[sequence % _ring.Length]) == _receivers)
        {
            Interlocked.Increment(ref _completed);
            _slots.Release();
        }
    }

    /// <summary>Broadcasts over <paramref name="connection"/> until <paramref name="stop"/>, the budget or a send error ends it.</summary>
    public async Task SendLoopAsync(RelayConnection connection, Pacer? pacer, MessageBudget budget, CancellationToken stop)
    {
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

                // Timed from the moment it goes to the socket; lateness against the schedule is recorded apart.
                var stamp = Stopwatch.GetTimestamp();
                if (pacer is not null && _measurement is { IsMeasuring: true })
                {
                    _sendLag?.RecordSince(scheduled, stamp);
                }

                var sequence = _sent;
                Volatile.Write(ref _ring[sequence % _ring.Length], 0);
                var length = WireFormat.EncodeTimed(_buffer, WireFormat.TypeBroadcast, UserId, 0, sequence, stamp, _size);
                Volatile.Write(ref _sent, sequence + 1);
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
