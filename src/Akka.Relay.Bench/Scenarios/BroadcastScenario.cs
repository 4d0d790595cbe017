using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// <c>broadcast</c>: N clients connected, the first B of them broadcasting, each with at most W
/// broadcasts not yet received by every client (and at a fixed total rate with <c>--rate</c>).
/// Measures broadcasts/s, deliveries/s, delivery latency and missing deliveries.
/// </summary>
public static class BroadcastScenario
{
    /// <summary>Runs the scenario.</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        var count = options.Clients;
        ScenarioSteps.CheckFileLimit(count);
        var window = new MeasurementWindow(options.Pids);
        using var latency = new LatencyRecorder();
        using var sendLag = new LatencyRecorder();
        var senders = new Broadcaster[options.Senders];
        for (var b = 0; b < senders.Length; b++)
        {
            senders[b] = new Broadcaster(options.IdBase + (ulong)b, options.Window, options.Size, count, window, sendLag);
        }

        var clients = new BroadcastClient[count];
        for (var i = 0; i < count; i++)
        {
            clients[i] = new BroadcastClient(senders, options.IdBase, window, latency);
        }

        long opened = 0;
        var progress = new ProgressLine(!options.Quiet)
            .Add("open", () => Interlocked.Read(ref opened), asRate: false)
            .Add("broadcasts", () => senders.Sum(s => s.Sent), asRate: true)
            .Add("deliveries", () => clients.Sum(c => c.Delivered), asRate: true)
            .Add("incomplete", () => senders.Sum(s => s.Sent - s.Completed), asRate: false);
        await using var _ = progress.ConfigureAwait(false);
        progress.Phase = "connect";
        progress.Start();

        var connections = await SessionOpener.OpenAllAsync(options, factory, count, () => Interlocked.Increment(ref opened), abort).ConfigureAwait(false);
        var receiveLoops = new Task[count];
        for (var i = 0; i < count; i++)
        {
            receiveLoops[i] = connections[i].ReceiveLoopAsync(clients[i], 4096);
        }

        var budget = new MessageBudget(options.MaxMessages);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var random = new Random(7);
        var sending = senders.Select((s, b) => s.SendLoopAsync(
            connections[b], options.Rate > 0 ? new Pacer(options.Rate / senders.Length, random.NextDouble()) : null, budget, stop.Token)).ToArray();

        (long Sent, long Delivered) Totals() => (senders.Sum(s => s.Sent), clients.Sum(c => c.Delivered));
        var begin = default((long Sent, long Delivered));
        var end = begin;
        await ScenarioSteps.RunWindowAsync(options, window, progress, () => begin = Totals(), () => end = Totals(), abort).ConfigureAwait(false);

        progress.Phase = "drain";
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(sending).ConfigureAwait(false);
        var drained = await ScenarioSteps.UntilAsync(
            () => senders.All(s => s.Completed == s.Sent), options.Drain, CancellationToken.None).ConfigureAwait(false);

        var result = new BenchResult("broadcast");
        var seconds = window.Elapsed.TotalSeconds;
        var deliveries = end.Delivered - begin.Delivered;
        var sentTotal = senders.Sum(s => s.Sent);
        var deliveredTotal = clients.Sum(c => c.Delivered);
        result.Add("clients", count, "count");
        result.Add("senders", senders.Length, "count");
        result.Add("broadcasts_per_s", Math.Round((end.Sent - begin.Sent) / seconds, 1), "msg/s");
        result.Add("deliveries_per_s", Math.Round(deliveries / seconds, 1), "msg/s");
        result.AddLatency("latency", latency.Snapshot());
        if (options.Rate > 0)
        {
            result.AddLatency("send_lag", sendLag.Snapshot());
        }

        result.Add("broadcasts_total", sentTotal, "msg");
        result.Add("deliveries_total", deliveredTotal, "msg");
        result.Add("deliveries_expected", sentTotal * count, "msg");
        result.Add("missing_deliveries", Math.Max(0, (sentTotal * count) - deliveredTotal), "msg");
        result.Add("fifo_violations", clients.Sum(c => c.FifoViolations), "msg");
        result.Add("error_replies", clients.Sum(c => c.ErrorReplies), "msg");
        result.Add("unexpected_messages", clients.Sum(c => c.Unexpected), "msg");
        ResourceMetrics.Add(result, window, options.Pids, deliveries, "delivery");
        foreach (var failure in senders.Select(s => s.SendFailure).OfType<string>())
        {
            result.CountError(failure);
        }

        if (!drained)
        {
            result.Notes.Add($"not every broadcast reached every client within --drain {options.Drain.TotalSeconds} s");
        }

        if (budget.IsExhausted)
        {
            result.Notes.Add($"stopped early: --max-messages {options.MaxMessages} reached");
        }

        progress.Phase = "close";
        await ScenarioSteps.CloseAllAsync(connections, receiveLoops, result, options.Concurrency).ConfigureAwait(false);
        return result;
    }
}
