using System.Diagnostics;

namespace Akka.Relay.Bench.Measurement;

/// <summary>
/// Paces one sender at a fixed rate. <see cref="NextAsync"/> waits for the next scheduled slot and
/// returns its scheduled timestamp; a sender that fell behind gets its late slots at once (no
/// silent skipping). The scenarios time latency from the actual send and record the lateness
/// against this schedule separately (<c>send_lag</c>): timer jitter of the load generator is not
/// the server's latency, but a server that stalls the window shows up there.
/// </summary>
public sealed class Pacer
{
    private static readonly long OneMillisecond = Stopwatch.Frequency / 1000;
    private readonly double _intervalTicks;
    private readonly long _start;
    private long _slot;

    /// <summary>Creates a pacer for <paramref name="perSecond"/> events, starting after <paramref name="phase"/> (0..1) of one interval.</summary>
    public Pacer(double perSecond, double phase)
    {
        _intervalTicks = Stopwatch.Frequency / perSecond;
        _start = Stopwatch.GetTimestamp() + (long)(_intervalTicks * phase);
    }

    /// <summary>Waits until the next slot is due and returns its scheduled <see cref="Stopwatch"/> timestamp.</summary>
    public async ValueTask<long> NextAsync(CancellationToken cancellationToken)
    {
        var due = _start + (long)(_slot * _intervalTicks);
        _slot++;
        var wait = due - Stopwatch.GetTimestamp();
        if (wait >= OneMillisecond)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
        }

        // Early by less than the timer's resolution: the message leaves now, so stamp now.
        return Math.Min(due, Stopwatch.GetTimestamp());
    }
}
