using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// Pings every session of the node from one timer: on each tick it pings the sessions whose client has sent nothing
/// for <see cref="RelayOptions.PingInterval"/> and aborts those whose last ping went unanswered for
/// <see cref="RelayOptions.PongTimeout"/>. One timer for all sessions instead of one per socket: an idle node wakes up
/// once per tick instead of several times per ping interval and session.
/// </summary>
public sealed class HeartbeatScheduler : IDisposable
{
    private readonly long _pingIntervalMs;
    private readonly long _pongTimeoutMs;
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private HeartbeatStream?[] _streams = new HeartbeatStream?[1024];
    private HeartbeatStream?[] _snapshot = [];
    private int _count;
    private int _ticking;

    /// <summary>Creates the scheduler with the node's ping settings and starts its timer.</summary>
    public HeartbeatScheduler(IOptions<RelayOptions> options)
    {
        _pingIntervalMs = (long)options.Value.PingInterval.TotalMilliseconds;
        _pongTimeoutMs = (long)options.Value.PongTimeout.TotalMilliseconds;
        Tick = TickOf(options.Value.PingInterval, options.Value.PongTimeout);
        _timer = new Timer(static state => ((HeartbeatScheduler)state!).OnTick(), this, Tick, Tick);
    }

    /// <summary>How often the sessions are checked: a quarter of the shorter of the two settings, at most a second.</summary>
    public TimeSpan Tick { get; }

    /// <summary>The tick for the given settings (a missed Pong is noticed at most one tick late).</summary>
    public static TimeSpan TickOf(TimeSpan pingInterval, TimeSpan pongTimeout)
    {
        var quarter = (pingInterval < pongTimeout ? pingInterval : pongTimeout) / 4;
        return quarter > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1)
            : quarter < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50)
            : quarter;
    }

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();

    /// <summary>Starts watching a session's transport.</summary>
    internal void Add(HeartbeatStream stream)
    {
        lock (_lock)
        {
            if (stream.SchedulerSlot >= 0)
            {
                return;
            }

            if (_count == _streams.Length)
            {
                Array.Resize(ref _streams, _streams.Length * 2);
            }

            stream.SchedulerSlot = _count;
            _streams[_count++] = stream;
        }
    }

    /// <summary>Stops watching a session's transport (its session ended).</summary>
    internal void Remove(HeartbeatStream stream)
    {
        lock (_lock)
        {
            var slot = stream.SchedulerSlot;
            if (slot < 0)
            {
                return;
            }

            // The last one takes the freed place: removal costs the same however many sessions there are.
            var last = _streams[--_count]!;
            _streams[slot] = last;
            last.SchedulerSlot = slot;
            _streams[_count] = null;
            stream.SchedulerSlot = -1;
        }
    }

    private void OnTick()
    {
        // A tick that overruns the next one (thousands of pings on a busy machine) is not run twice at once.
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            int count;
            lock (_lock)
            {
                count = _count;
                if (_snapshot.Length < count)
                {
                    _snapshot = new HeartbeatStream?[_streams.Length];
                }

                Array.Copy(_streams, _snapshot, count);
            }

            // Outside the lock: handshakes add and remove sessions meanwhile.
            var now = Environment.TickCount64;
            for (var i = 0; i < count; i++)
            {
                _snapshot[i]!.Beat(now, _pingIntervalMs, _pongTimeoutMs);
                _snapshot[i] = null;
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
