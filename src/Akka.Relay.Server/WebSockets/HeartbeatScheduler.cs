using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// Pings every session of the node from one timer: on each tick it pings the sessions whose client has sent nothing
/// for <see cref="RelayOptions.PingInterval"/> and aborts those whose last ping went unanswered for
/// <see cref="RelayOptions.PongTimeout"/>. One timer for all sessions instead of one per socket: an idle node wakes up
/// a few times per tick instead of several times per ping interval and session.
/// </summary>
/// <remarks>
/// Each timer callback checks one slice of the sessions, so that a full round of slices takes one tick. Checking all
/// of them at once pinged every session that fell due within the tick in one burst (2,000 sessions a tick after a
/// 2,000/s connection ramp), and each ping in flight holds a 4 KiB block of the transport's memory pool until it is
/// sent: the pool grew by thousands of blocks it keeps. Slices spread the same pings over the tick.
/// </remarks>
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

    // The slice the next timer callback checks (0 .. Slices - 1).
    private int _slice;

    /// <summary>Creates the scheduler with the node's ping settings and starts its timer.</summary>
    public HeartbeatScheduler(IOptions<RelayOptions> options)
    {
        _pingIntervalMs = (long)options.Value.PingInterval.TotalMilliseconds;
        _pongTimeoutMs = (long)options.Value.PongTimeout.TotalMilliseconds;
        Tick = TickOf(options.Value.PingInterval, options.Value.PongTimeout);
        Slices = SlicesOf(Tick);
        var period = Tick / Slices;
        _timer = new Timer(static state => ((HeartbeatScheduler)state!).OnTimer(), this, period, period);
    }

    /// <summary>How often each session is checked: a quarter of the shorter of the two settings, at most a second.</summary>
    public TimeSpan Tick { get; }

    /// <summary>Into how many slices a tick's checks are spread (one timer callback each, at least 50 ms apart).</summary>
    public int Slices { get; }

    /// <summary>The slices for a tick: one per 50 ms of it, at most 20.</summary>
    public static int SlicesOf(TimeSpan tick) => (int)Math.Clamp(tick.Ticks / TimeSpan.FromMilliseconds(50).Ticks, 1, 20);

    /// <summary>The tick for the given settings (a missed Pong is noticed at most one tick late, two if sessions close meanwhile).</summary>
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

    private void OnTimer()
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
                // Sessions that move meanwhile (a removal fills its place with the last one) may be checked twice or
                // skipped in a round; a skipped one is checked in the next, still within two ticks.
                var from = (int)((long)_count * _slice / Slices);
                var to = (int)((long)_count * (_slice + 1) / Slices);
                _slice = (_slice + 1) % Slices;
                count = to - from;
                if (_snapshot.Length < count)
                {
                    _snapshot = new HeartbeatStream?[_streams.Length];
                }

                Array.Copy(_streams, from, _snapshot, 0, count);
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
