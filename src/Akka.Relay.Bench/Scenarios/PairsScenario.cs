using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// <c>pairs</c>: P pairs of clients send SENDs to each other, each with at most W unacked (and at a
/// fixed total rate with <c>--rate</c>). Measures delivered and acked msg/s, one-way latency,
/// lost messages and FIFO violations. With two URLs the two clients of a pair use different servers.
/// With <c>--resume half|all</c> the second client of every pair (half) or every client (all) opts in
/// to its inbox (<c>?resume=0</c>), so the SENDs to it are persisted before they are answered; the
/// answers <c>stored</c> and <c>error: inbox unavailable</c> are counted, and the resume header and
/// the <c>seq</c> of every delivered message are checked (<see cref="InboxSequence"/>).
/// </summary>
public static class PairsScenario
{
    /// <summary>Whether client <paramref name="index"/> (even: A of a pair, odd: B) opts in under <c>--resume</c> <paramref name="mode"/>.</summary>
    public static bool OptsIn(string mode, int index) => mode switch
    {
        "all" => true,
        "half" => index % 2 == 1,
        _ => false,
    };

    /// <summary>Runs the scenario.</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        var count = options.Pairs * 2;
        ScenarioSteps.CheckFileLimit(count);
        var window = new MeasurementWindow(options.Pids);
        using var latency = new LatencyRecorder();
        using var sendLag = new LatencyRecorder();
        var clients = new PairClient[count];
        for (var i = 0; i < count; i++)
        {
            clients[i] = new PairClient(options.IdBase + (ulong)i, options.Window, options.Size, window, latency, sendLag, OptsIn(options.Resume, i));
        }

        for (var i = 0; i < count; i += 2)
        {
            clients[i].Peer = clients[i + 1];
            clients[i + 1].Peer = clients[i];
        }

        long opened = 0;
        var progress = new ProgressLine(!options.Quiet)
            .Add("open", () => Interlocked.Read(ref opened), asRate: false)
            .Add("sent", () => clients.Sum(c => c.Sent), asRate: true)
            .Add("delivered", () => clients.Sum(c => c.Delivered), asRate: true)
            .Add("acks", () => clients.Sum(c => c.Acked), asRate: true)
            .Add("in-flight", () => clients.Sum(c => c.Unanswered), asRate: false);
        await using var _ = progress.ConfigureAwait(false);
        progress.Phase = "connect";
        progress.Start();

        var connections = await SessionOpener.OpenAllAsync(
            options, factory, count, () => Interlocked.Increment(ref opened), abort,
            query: i => clients[i].OptedIn ? ConnectionFactory.ResumeFromStart : null).ConfigureAwait(false);
        var receiveLoops = new Task[count];
        for (var i = 0; i < count; i++)
        {
            clients[i].Attach(connections[i]);
            receiveLoops[i] = connections[i].ReceiveLoopAsync(clients[i], 4096);
        }

        var budget = new MessageBudget(options.MaxMessages);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var random = new Random(7);
        var senders = clients.Select(c => c.SendLoopAsync(
            options.Rate > 0 ? new Pacer(options.Rate / count, random.NextDouble()) : null, budget, stop.Token)).ToArray();

        (long Sent, long Delivered, long Acked) Totals() => (clients.Sum(c => c.Sent), clients.Sum(c => c.Delivered), clients.Sum(c => c.Acked));
        var begin = default((long Sent, long Delivered, long Acked));
        var end = begin;
        await ScenarioSteps.RunWindowAsync(options, window, progress, () => begin = Totals(), () => end = Totals(), abort).ConfigureAwait(false);

        progress.Phase = "drain";
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(senders).ConfigureAwait(false);
        var drained = await ScenarioSteps.UntilAsync(
            () => clients.All(c => c.Unanswered == 0 && c.Lost == 0), options.Drain, CancellationToken.None).ConfigureAwait(false);

        var result = new BenchResult("pairs");
        var seconds = window.Elapsed.TotalSeconds;
        var delivered = end.Delivered - begin.Delivered;
        result.Add("clients", count, "count");
        result.Add("sent_per_s", Math.Round((end.Sent - begin.Sent) / seconds, 1), "msg/s");
        result.Add("delivered_per_s", Math.Round(delivered / seconds, 1), "msg/s");
        result.Add("acks_per_s", Math.Round((end.Acked - begin.Acked) / seconds, 1), "msg/s");
        result.AddLatency("latency", latency.Snapshot());
        if (options.Rate > 0)
        {
            result.AddLatency("send_lag", sendLag.Snapshot());
        }

        result.Add("sent_total", clients.Sum(c => c.Sent), "msg");
        result.Add("delivered_total", clients.Sum(c => c.Delivered), "msg");
        result.Add("acked_total", clients.Sum(c => c.Acked), "msg");
        result.Add("lost", clients.Sum(c => c.Lost), "msg");
        result.Add("unanswered", clients.Sum(c => c.Unanswered), "msg");
        result.Add("not_online", clients.Sum(c => c.NotOnline), "msg");
        result.Add("error_replies", clients.Sum(c => c.ErrorReplies), "msg");
        result.Add("opted_in_clients", clients.Count(c => c.OptedIn), "count");
        result.Add("stored_replies", clients.Sum(c => c.Stored), "msg");
        result.Add("inbox_unavailable", clients.Sum(c => c.InboxUnavailable), "msg");
        result.Add("resume_header_problems", clients.Sum(c => c.Inbox.HeaderProblems), "count");
        result.Add("seq_violations", clients.Sum(c => c.Inbox.Violations), "msg");
        result.Add("delivered_despite_refusal", clients.Sum(c => c.DeliveredDespiteRefusal), "msg");
        result.Add("fifo_violations", clients.Sum(c => c.FifoViolations), "msg");
        result.Add("unexpected_messages", clients.Sum(c => c.Unexpected), "msg");
        ResourceMetrics.Add(result, window, options.Pids, delivered, "msg");
        foreach (var failure in clients.Select(c => c.SendFailure).OfType<string>())
        {
            result.CountError(failure);
        }

        if (!drained)
        {
            result.Notes.Add($"not every message was answered and delivered within --drain {options.Drain.TotalSeconds} s");
        }

        if (budget.IsExhausted)
        {
            result.Notes.Add($"stopped early: --max-messages {options.MaxMessages} reached");
        }

        if (clients.FirstOrDefault(c => c.OptedIn && c.Inbox.Header is null) is { } headless)
        {
            result.Notes.Add($"user {headless.UserId} opted in but never received its resume header");
        }

        progress.Phase = "close";
        await ScenarioSteps.CloseAllAsync(connections, receiveLoops, result, options.Concurrency).ConfigureAwait(false);
        return result;
    }
}
