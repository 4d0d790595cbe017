using System.Diagnostics;
using HdrHistogram;

namespace Akka.Relay.Bench.Measurement;

/// <summary>
/// Records latencies in microseconds into HdrHistograms without locks: each thread that records
/// gets its own histogram, and <see cref="Snapshot"/> adds them up once recording has stopped.
/// </summary>
public sealed class LatencyRecorder : IDisposable
{
    /// <summary>The largest value tracked: 60 s, in microseconds (larger values are clamped).</summary>
    public const long HighestMicros = 60_000_000;

    private readonly ThreadLocal<LongHistogram> _perThread = new(NewHistogram, trackAllValues: true);

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void RecordSince(long startTimestamp, long nowTimestamp)
    {
        var ticks = nowTimestamp - startTimestamp;
        var micros = ticks <= 0 ? 0 : (long)(ticks * 1_000_000.0 / Stopwatch.Frequency);
        RecordMicros(micros);
    }

    /// <summary>Records one value in microseconds.</summary>
    public void RecordMicros(long micros) =>
        _perThread.Value!.RecordValue(Math.Clamp(micros, 1, HighestMicros));

    /// <summary>Adds up every thread's histogram into a new one; call it once recording has stopped.</summary>
    public LongHistogram Snapshot()
    {
        var total = NewHistogram();
        foreach (var histogram in _perThread.Values)
        {
            total.Add(histogram);
        }

        return total;
    }

    /// <inheritdoc />
    public void Dispose() => _perThread.Dispose();

    private static LongHistogram NewHistogram() => new(1, HighestMicros, 3);
}
