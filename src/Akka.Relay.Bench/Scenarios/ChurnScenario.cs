using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// <c>churn</c>: <c>--concurrency</c> workers each open a session for a fresh user id, SEND
/// <c>--messages</c> messages to that user (so to the session itself), check that every one comes
/// back in order and is acked, then end the session, with the close handshake or (every
/// <c>--abort-every</c>-th session) by dropping the TCP connection; and start over. Counts cycles,
/// lost messages and FIFO violations: sustained connect/disconnect churn with traffic, for soaks.
/// </summary>
public static class ChurnScenario
{
    /// <summary>How long a session waits for its own messages and acks before counting the rest as lost.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs the scenario.</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        ScenarioSteps.CheckFileLimit(options.Concurrency * 2);
        var result = new BenchResult("churn");
        var window = new MeasurementWindow(options.Pids);
        using var cycleLatency = new LatencyRecorder();
        var failures = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long cycles = 0, aborted = 0, failed = 0, sent = 0, delivered = 0, acked = 0, lost = 0, unanswered = 0;
        long notOnline = 0, errorReplies = 0, fifoViolations = 0, unexpected = 0, dropped = 0;
        long nextId = 0;

        await ScenarioSteps.CheckServerAsync(options, factory, abort).ConfigureAwait(false);

        var progress = new ProgressLine(!options.Quiet)
            .Add("cycles", () => Interlocked.Read(ref cycles), asRate: true)
            .Add("sent", () => Interlocked.Read(ref sent), asRate: true)
            .Add("lost", () => Interlocked.Read(ref lost), asRate: false)
            .Add("failed", () => Interlocked.Read(ref failed), asRate: false);
        await using var _ = progress.ConfigureAwait(false);
        progress.Start();

        var budget = new MessageBudget(options.MaxMessages);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        async Task WorkerAsync()
        {
            await Task.Yield();
            var buffer = new byte[WireFormat.MaxEncodedLength(options.Size)];
            while (!stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref nextId);
                var userId = options.IdBase + (ulong)n;
                var started = Stopwatch.GetTimestamp();
                RelayConnection connection;
                try
                {
                    connection = await RelayConnection.ConnectAsync(
                        factory, options.Urls[(int)(n % options.Urls.Count)], userId, options.ConnectTimeout, CancellationToken.None).ConfigureAwait(false);
                }
                catch (ConnectException e)
                {
                    failures.AddOrUpdate($"connect:{e.Reason}", 1, (_, k) => k + 1);
                    Interlocked.Increment(ref failed);
                    // A failing server must not turn the workers into a busy loop.
                    await ScenarioSteps.DelayAsync(TimeSpan.FromMilliseconds(10), stop.Token).ConfigureAwait(false);
                    continue;
                }

                var session = new ChurnSession(userId, options.Messages);
                var receiving = connection.ReceiveLoopAsync(session, 4096);
                var count = 0;
                try
                {
                    for (; count < options.Messages && budget.TryTake(); count++)
                    {
                        var length = WireFormat.EncodeTimed(buffer, WireFormat.TypeSend, userId, userId, count, Stopwatch.GetTimestamp(), options.Size);
                        await connection.SendAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
                {
                    failures.AddOrUpdate("send", 1, (_, k) => k + 1);
                }

                Interlocked.Add(ref sent, count);
                if (count == options.Messages)
                {
                    await Task.WhenAny(session.Done, receiving, Task.Delay(AnswerTimeout)).ConfigureAwait(false);
                }

                var abortThis = options.AbortEvery > 0 && n % options.AbortEvery == 0;
                if (abortThis)
                {
                    connection.Dispose();
                    Interlocked.Increment(ref aborted);
                }
                else
                {
                    await connection.CloseAsync(options.ConnectTimeout).ConfigureAwait(false);
                }

                await Task.WhenAny(receiving, Task.Delay(options.ConnectTimeout)).ConfigureAwait(false);
                if (!abortThis && connection.DroppedByServer)
                {
                    Interlocked.Increment(ref dropped);
                    failures.AddOrUpdate($"dropped:{connection.EndReason}", 1, (_, k) => k + 1);
                }

                connection.Dispose();
                Interlocked.Add(ref delivered, session.Delivered);
                Interlocked.Add(ref acked, session.Acked);
                Interlocked.Add(ref notOnline, session.NotOnline);
                Interlocked.Add(ref errorReplies, session.Errors);
                Interlocked.Add(ref fifoViolations, session.FifoViolations);
                Interlocked.Add(ref unexpected, session.Unexpected);
                Interlocked.Add(ref lost, Math.Max(0, count - session.Delivered));
                Interlocked.Add(ref unanswered, Math.Max(0, count - session.Acked - session.NotOnline - session.Errors));
                Interlocked.Increment(ref cycles);
                if (window.IsMeasuring)
                {
                    cycleLatency.RecordSince(started, Stopwatch.GetTimestamp());
                }

                if (budget.IsExhausted)
                {
                    break;
                }
            }
        }

        var workers = Enumerable.Range(0, options.Concurrency).Select(_ => WorkerAsync()).ToArray();
        (long Cycles, long Sent) Totals() => (Interlocked.Read(ref cycles), Interlocked.Read(ref sent));
        var begin = default((long Cycles, long Sent));
        var end = begin;
        await ScenarioSteps.RunWindowAsync(options, window, progress, () => begin = Totals(), () => end = Totals(), abort).ConfigureAwait(false);
        progress.Phase = "stop";
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(workers).ConfigureAwait(false);

        var seconds = window.Elapsed.TotalSeconds;
        result.Add("workers", options.Concurrency, "count");
        result.Add("cycles_per_s", Math.Round((end.Cycles - begin.Cycles) / seconds, 1), "conn/s");
        result.Add("sent_per_s", Math.Round((end.Sent - begin.Sent) / seconds, 1), "msg/s");
        result.AddLatency("cycle_latency", cycleLatency.Snapshot());
        result.Add("cycles_total", Interlocked.Read(ref cycles), "count");
        result.Add("aborted_total", Interlocked.Read(ref aborted), "count");
        result.Add("connect_failures", Interlocked.Read(ref failed), "count");
        result.Add("sent_total", Interlocked.Read(ref sent), "msg");
        result.Add("delivered_total", Interlocked.Read(ref delivered), "msg");
        result.Add("acked_total", Interlocked.Read(ref acked), "msg");
        result.Add("lost", Interlocked.Read(ref lost), "msg");
        result.Add("unanswered", Interlocked.Read(ref unanswered), "msg");
        result.Add("not_online", Interlocked.Read(ref notOnline), "msg");
        result.Add("error_replies", Interlocked.Read(ref errorReplies), "msg");
        result.Add("fifo_violations", Interlocked.Read(ref fifoViolations), "msg");
        result.Add("unexpected_messages", Interlocked.Read(ref unexpected), "msg");
        result.Add("disconnects", Interlocked.Read(ref dropped), "count");
        ResourceMetrics.Add(result, window, options.Pids, end.Cycles - begin.Cycles, "cycle");
        foreach (var (reason, k) in failures)
        {
            result.CountError(reason, k);
        }

        if (budget.IsExhausted)
        {
            result.Notes.Add($"stopped early: --max-messages {options.MaxMessages} reached");
        }

        return result;
    }
}
