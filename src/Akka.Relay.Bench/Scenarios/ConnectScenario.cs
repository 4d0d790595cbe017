using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// <c>connect</c>: <c>--concurrency</c> workers each open a session (a fresh user id every time),
/// close it with the close handshake, and start over. Measures handshakes/s, handshake latency and
/// full open+close cycle latency.
/// </summary>
public static class ConnectScenario
{
    /// <summary>Runs the scenario.</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        ScenarioSteps.CheckFileLimit(options.Concurrency * 2);
        var result = new BenchResult("connect");
        var window = new MeasurementWindow(options.Pids);
        using var handshakeLatency = new LatencyRecorder();
        using var cycleLatency = new LatencyRecorder();
        var failures = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long handshakes = 0;
        long cycles = 0;
        long failed = 0;
        long nextId = 0;

        await ScenarioSteps.CheckServerAsync(options, factory, abort).ConfigureAwait(false);

        var progress = new ProgressLine(!options.Quiet)
            .Add("handshakes", () => Interlocked.Read(ref handshakes), asRate: true)
            .Add("closed", () => Interlocked.Read(ref cycles), asRate: true)
            .Add("failed", () => Interlocked.Read(ref failed), asRate: false);
        await using var _ = progress.ConfigureAwait(false);
        progress.Start();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        async Task WorkerAsync()
        {
            await Task.Yield();
            while (!stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref nextId);
                if (n > options.Count)
                {
                    break;
                }

                var started = Stopwatch.GetTimestamp();
                RelayConnection connection;
                try
                {
                    connection = await RelayConnection.ConnectAsync(
                        factory, options.Urls[(int)(n % options.Urls.Count)], options.IdBase + (ulong)n, options.ConnectTimeout, CancellationToken.None).ConfigureAwait(false);
                }
                catch (ConnectException e)
                {
                    failures.AddOrUpdate(e.Reason, 1, (_, k) => k + 1);
                    Interlocked.Increment(ref failed);
                    // A failing server must not turn the workers into a busy loop.
                    await ScenarioSteps.DelayAsync(TimeSpan.FromMilliseconds(10), stop.Token).ConfigureAwait(false);
                    continue;
                }

                var measuring = window.IsMeasuring;
                Interlocked.Increment(ref handshakes);
                if (measuring)
                {
                    handshakeLatency.RecordMicros((long)connection.Handshake.TotalMicroseconds);
                }

                await connection.CloseAsync(options.ConnectTimeout).ConfigureAwait(false);
                connection.Dispose();
                Interlocked.Increment(ref cycles);
                if (measuring)
                {
                    cycleLatency.RecordSince(started, Stopwatch.GetTimestamp());
                }
            }
        }

        var workers = Enumerable.Range(0, options.Concurrency).Select(_ => WorkerAsync()).ToArray();
        (long Handshakes, long Cycles, long Failed) Totals() => (Interlocked.Read(ref handshakes), Interlocked.Read(ref cycles), Interlocked.Read(ref failed));
        var begin = default((long Handshakes, long Cycles, long Failed));
        var end = begin;
        await ScenarioSteps.RunWindowAsync(options, window, progress, () => begin = Totals(), () => end = Totals(), abort).ConfigureAwait(false);
        progress.Phase = "stop";
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(workers).ConfigureAwait(false);

        var seconds = window.Elapsed.TotalSeconds;
        var measured = end.Handshakes - begin.Handshakes;
        result.Add("workers", options.Concurrency, "count");
        result.Add("handshakes_per_s", Math.Round(measured / seconds, 1), "conn/s");
        result.Add("cycles_per_s", Math.Round((end.Cycles - begin.Cycles) / seconds, 1), "conn/s");
        result.Add("failures_in_window", end.Failed - begin.Failed, "count");
        result.AddLatency("handshake_latency", handshakeLatency.Snapshot());
        result.AddLatency("cycle_latency", cycleLatency.Snapshot());
        result.Add("handshakes_total", Interlocked.Read(ref handshakes), "count");
        result.Add("failures_total", Interlocked.Read(ref failed), "count");
        ResourceMetrics.Add(result, window, options.Pids, measured, "handshake");
        foreach (var (reason, n) in failures)
        {
            result.CountError($"connect:{reason}", n);
        }

        if (Interlocked.Read(ref nextId) > options.Count)
        {
            result.Notes.Add($"stopped early: --count {options.Count} reached");
        }

        return result;
    }
}
