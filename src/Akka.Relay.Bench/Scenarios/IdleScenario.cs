using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// <c>idle</c>: opens N sessions at a given rate (bounded concurrency) and holds them for
/// <c>--duration</c>, each with a receive pending so the server's pings are answered. Reports
/// connect successes, failures and latency, sessions the server dropped while held, and with
/// <c>--pid</c> the server's RSS growth per held session.
/// </summary>
public static class IdleScenario
{
    /// <summary>Runs the scenario.</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        var count = options.Connections;
        ScenarioSteps.CheckFileLimit(count + options.Concurrency);
        var result = new BenchResult("idle");
        var sink = new CountingSink();
        var connections = new RelayConnection?[count];
        var receiveLoops = new ConcurrentBag<Task>();
        var failures = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var latency = new LatencyRecorder();
        long connected = 0;
        long failed = 0;
        long attempted = 0;

        var progress = new ProgressLine(!options.Quiet)
            .Add("attempted", () => Interlocked.Read(ref attempted), asRate: false)
            .Add("connected", () => Interlocked.Read(ref connected), asRate: false)
            .Add("failed", () => Interlocked.Read(ref failed), asRate: false)
            .Add("connects", () => Interlocked.Read(ref connected), asRate: true)
            .Add("dropped", () => connections.Count(c => c is { DroppedByServer: true }), asRate: false);
        await using var _ = progress.ConfigureAwait(false);

        // Setup check: one session must open, or the server is not there.
        RelayConnection probe;
        try
        {
            probe = await RelayConnection.ConnectAsync(factory, options.Urls[0], options.IdBase + (ulong)count, options.ConnectTimeout, abort).ConfigureAwait(false);
        }
        catch (ConnectException e)
        {
            throw new SetupException(e.Message, e);
        }

        await probe.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        probe.Dispose();

        progress.Phase = "prewarm";
        progress.Start();
        await PrewarmAsync(options, factory, count, abort).ConfigureAwait(false);
        var rssBefore = ProcessProbe.StatusKib(options.Pids, "VmRSS");

        progress.Phase = "connect";
        var connectStarted = Stopwatch.GetTimestamp();
        using (var gate = new SemaphoreSlim(options.Concurrency))
        {
            var pacer = new Pacer(options.ConnectRate, 0);
            var opening = new List<Task>(count);
            for (var i = 0; i < count && !abort.IsCancellationRequested; i++)
            {
                try
                {
                    await pacer.NextAsync(abort).ConfigureAwait(false);
                    await gate.WaitAsync(abort).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                var index = i;
                Interlocked.Increment(ref attempted);
                opening.Add(Task.Run(async () =>
                {
                    try
                    {
                        var connection = await RelayConnection.ConnectAsync(
                            factory, options.Urls[index % options.Urls.Count], options.IdBase + (ulong)index, options.ConnectTimeout, abort, receiveBufferSize: 256).ConfigureAwait(false);
                        latency.RecordMicros((long)connection.Handshake.TotalMicroseconds);
                        connections[index] = connection;
                        receiveLoops.Add(connection.ReceiveLoopAsync(sink, 256));
                        Interlocked.Increment(ref connected);
                    }
                    catch (ConnectException e)
                    {
                        failures.AddOrUpdate(e.Reason, 1, (_, n) => n + 1);
                        Interlocked.Increment(ref failed);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
            }

            await Task.WhenAll(opening).ConfigureAwait(false);
        }

        var connectSeconds = Stopwatch.GetElapsedTime(connectStarted).TotalSeconds;
        if (connected == 0)
        {
            throw new SetupException($"none of {attempted} sessions could be opened: {string.Join(", ", failures.Select(f => $"{f.Key}={f.Value}"))}");
        }

        var rssAfterConnect = ProcessProbe.StatusKib(options.Pids, "VmRSS");
        progress.Phase = "hold";
        var window = new MeasurementWindow(options.Pids);
        window.Begin();
        await ScenarioSteps.DelayAsync(options.Duration, abort).ConfigureAwait(false);
        window.End();
        var rssEnd = ProcessProbe.StatusKib(options.Pids, "VmRSS");
        var held = connections.Where(c => c is not null).Select(c => c!).ToArray();
        var openAtEnd = held.Count(c => !c.DroppedByServer);

        result.Add("connections_target", count, "count");
        result.Add("attempted", attempted, "count");
        result.Add("connected", connected, "count");
        result.Add("connect_failures", failed, "count");
        result.Add("connect_phase_s", Math.Round(connectSeconds, 3), "s");
        result.Add("connects_per_s", Math.Round(connected / Math.Max(connectSeconds, 1e-9), 1), "conn/s");
        result.AddLatency("connect_latency", latency.Snapshot());
        result.Add("open_at_end", openAtEnd, "count");
        result.Add("dropped_while_held", held.Length - openAtEnd, "count");
        result.Add("messages_received", sink.Count, "msg");
        result.AddIfKnown("server_rss_before_kib", rssBefore, "KiB");
        result.AddIfKnown("server_rss_connected_kib", rssAfterConnect, "KiB");
        result.AddIfKnown("server_rss_end_kib", rssEnd, "KiB");
        if (rssBefore is { } before && rssEnd is { } after && openAtEnd > 0)
        {
            result.Add("server_kib_per_connection", Math.Round((double)(after - before) / openAtEnd, 2), "KiB");
        }

        ResourceMetrics.Add(result, window, options.Pids, 0, "connection");
        foreach (var (reason, n) in failures)
        {
            result.CountError($"connect:{reason}", n);
        }

        if (options.Duration < TimeSpan.FromSeconds(20))
        {
            result.Notes.Add("hold shorter than 20 s: the relay pings after 9 s idle and drops after 10 s more, so answered pings are only proven by a hold of 20 s or longer");
        }

        progress.Phase = "close";
        await ScenarioSteps.CloseAllAsync(held, receiveLoops.ToArray(), result, Math.Max(options.Concurrency, 256)).ConfigureAwait(false);
        return result;
    }

    // Opens and closes a few sessions first, so one-time costs (JIT, pools) are not counted per connection.
    private static async Task PrewarmAsync(BenchOptions options, ConnectionFactory factory, int count, CancellationToken abort)
    {
        var warm = new List<RelayConnection>();
        for (var i = 0; i < options.Prewarm && !abort.IsCancellationRequested; i++)
        {
            try
            {
                warm.Add(await RelayConnection.ConnectAsync(factory, options.Urls[i % options.Urls.Count], options.IdBase + (ulong)count + 1 + (ulong)i, options.ConnectTimeout, abort).ConfigureAwait(false));
            }
            catch (ConnectException)
            {
            }
        }

        foreach (var connection in warm)
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            connection.Dispose();
        }

        if (options.Prewarm > 0)
        {
            await ScenarioSteps.DelayAsync(TimeSpan.FromSeconds(1), abort).ConfigureAwait(false);
        }
    }

    /// <summary>Counts whatever an idle session receives (nothing is expected).</summary>
    private sealed class CountingSink : IMessageSink
    {
        private long _count;

        /// <summary>Messages received by all sessions.</summary>
        public long Count => Interlocked.Read(ref _count);

        /// <inheritdoc />
        public void OnMessage(ReadOnlySpan<byte> message) => Interlocked.Increment(ref _count);
    }
}
