using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// <c>storm</c>: a reconnect storm against the durable inbox (protocol 1.1, section 9). Setup: U
/// users open a session with <c>?resume=0</c> (each gets an inbox, checked by its header 1..0) and
/// close it. Fill: S senders send M messages to each of them while they are offline, and every answer
/// should be <c>stored</c> (counted). Storm: all U users resume with <c>?resume=0</c> at the same
/// moment (at most <c>--concurrency</c> connects in flight, default all), and the run measures from
/// that moment until each has received its header (1..M, no gap, same epoch as before) and seq 1..M in
/// order, with the content the sender sent under that position.
/// </summary>
public static class StormScenario
{
    /// <summary>Connects in flight while opening the setup sessions and the senders.</summary>
    private const int SetupConcurrency = 64;

    /// <summary>Runs the scenario.</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        var users = options.Users;
        var messages = options.Messages;
        var senders = Math.Min(options.Senders, users);
        ScenarioSteps.CheckFileLimit(users + senders);
        var result = new BenchResult("storm");
        long phaseDone = 0;
        long phaseTotal = users;
        var progress = new ProgressLine(!options.Quiet)
            .Add("done", () => Interlocked.Read(ref phaseDone), asRate: false)
            .Add("of", () => Interlocked.Read(ref phaseTotal), asRate: false);
        await using var _ = progress.ConfigureAwait(false);
        progress.Start();

        // --- setup: every user opts in once and leaves --------------------------------------------
        progress.Phase = "opt-in";
        var epochs = await OptInAsync(options, factory, users, () => Interlocked.Increment(ref phaseDone), result, abort).ConfigureAwait(false);

        // --- fill: M messages for each offline user ------------------------------------------------
        progress.Phase = "fill";
        Interlocked.Exchange(ref phaseDone, 0);
        Interlocked.Exchange(ref phaseTotal, (long)users * messages);
        var fillers = new InboxFiller[senders];
        for (var j = 0; j < senders; j++)
        {
            var mine = Enumerable.Range(0, users).Where(i => i % senders == j).Select(i => UserId(options, i)).ToArray();
            fillers[j] = new InboxFiller(SenderId(options, users, j), mine, messages, options.Window, options.Size);
        }

        var senderConnections = await SessionOpener.OpenAllAsync(
            options, factory, senders, () => { }, abort, idBase: SenderId(options, users, 0), concurrency: SetupConcurrency).ConfigureAwait(false);
        var senderLoops = senderConnections.Select((c, j) => c.ReceiveLoopAsync(fillers[j], 4096)).ToArray();
        var fillWindow = new MeasurementWindow(options.Pids);
        var budget = new MessageBudget(options.MaxMessages);
        using var stopFill = CancellationTokenSource.CreateLinkedTokenSource(abort);
        using var countFill = new Timer(_ => Interlocked.Exchange(ref phaseDone, fillers.Sum(f => f.Answers)), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        fillWindow.Begin();
        var sending = fillers.Select((f, j) => f.SendAllAsync(senderConnections[j], budget, stopFill.Token)).ToArray();
        var filled = await WaitAsync(Task.WhenAll(fillers.Select(f => f.Answered)), options.Duration, abort).ConfigureAwait(false);
        fillWindow.End();
        await stopFill.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(sending).ConfigureAwait(false);
        AddFill(result, fillers, fillWindow, users, messages, filled, options);
        var fillClose = new BenchResult("fill");
        await ScenarioSteps.CloseAllAsync(senderConnections, senderLoops, fillClose, SetupConcurrency).ConfigureAwait(false);
        CopyErrors(fillClose, result, "fill");

        // --- storm: everyone resumes at once ----------------------------------------------------
        progress.Phase = "storm";
        Interlocked.Exchange(ref phaseDone, 0);
        Interlocked.Exchange(ref phaseTotal, users);
        var resumers = Enumerable.Range(0, users)
            .Select(i => new ResumingUser(UserId(options, i), SenderId(options, users, i % senders), 1, messages)).ToArray();
        var connections = new RelayConnection?[users];
        var loops = new Task?[users];
        var connectFailures = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var handshakes = new LatencyRecorder();
        var window = new MeasurementWindow(options.Pids);
        using var gate = new SemaphoreSlim(options.Concurrency == 0 ? users : options.Concurrency);
        using var countDone = new Timer(_ => Interlocked.Exchange(ref phaseDone, resumers.Count(r => r.Done.IsCompleted)), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        window.Begin();
        var start = Stopwatch.GetTimestamp();
        var connecting = Enumerable.Range(0, users).Select(i => Task.Run(async () =>
        {
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                var connection = await RelayConnection.ConnectAsync(
                    factory, options.Urls[i % options.Urls.Count], resumers[i].UserId, options.ConnectTimeout, abort,
                    receiveBufferSize: 16384, query: ConnectionFactory.ResumeFromStart).ConfigureAwait(false);
                handshakes.RecordSince(start, Stopwatch.GetTimestamp());
                connections[i] = connection;
                loops[i] = connection.ReceiveLoopAsync(resumers[i], 16384);
            }
            catch (ConnectException e)
            {
                connectFailures.AddOrUpdate($"storm-connect:{e.Reason}", 1, (_, k) => k + 1);
            }
            finally
            {
                gate.Release();
            }
        })).ToArray();
        await Task.WhenAll(connecting).ConfigureAwait(false);
        var connected = Enumerable.Range(0, users).Where(i => connections[i] is not null).ToArray();
        var remaining = options.Duration - Stopwatch.GetElapsedTime(start);
        var complete = await WaitAsync(Task.WhenAll(connected.Select(i => resumers[i].Done)), remaining, abort).ConfigureAwait(false);
        window.End();
        var accepted = fillers.Sum(f => f.Stored + f.Success);
        AddStorm(result, options, resumers, connected.Length, epochs, start, window, handshakes, complete && connected.Length == users, accepted);
        foreach (var (reason, k) in connectFailures)
        {
            result.CountError(reason, k);
        }

        progress.Phase = "close";
        await ScenarioSteps.CloseAllAsync(
            connected.Select(i => connections[i]!).ToArray(), connected.Select(i => loops[i]!).ToArray(), result, SetupConcurrency).ConfigureAwait(false);
        return result;
    }

    private static ulong UserId(BenchOptions options, int index) => options.IdBase + (ulong)index;

    private static ulong SenderId(BenchOptions options, int users, int index) => options.IdBase + (ulong)users + (ulong)index;

    /// <summary>Opens a session with <c>?resume=0</c> for every user, checks each header (a fresh inbox: 1..0), closes them; returns the epochs.</summary>
    private static async Task<string?[]> OptInAsync(
        BenchOptions options, ConnectionFactory factory, int users, Action onHeader, BenchResult result, CancellationToken abort)
    {
        var sinks = Enumerable.Range(0, users).Select(i => new ResumingUser(UserId(options, i), 0, 1, 0)).ToArray();
        RelayConnection[] connections;
        try
        {
            connections = await SessionOpener.OpenAllAsync(
                options, factory, users, () => { }, abort, query: _ => ConnectionFactory.ResumeFromStart, concurrency: SetupConcurrency).ConfigureAwait(false);
        }
        catch (SetupException e) when (e.InnerException is ConnectException { Reason: "http-400" })
        {
            throw new SetupException($"{e.Message}; the server refuses ?resume= (inbox disabled, a cluster node, or a server before protocol 1.1)", e);
        }

        var loops = connections.Select((c, i) => c.ReceiveLoopAsync(sinks[i], 4096)).ToArray();
        foreach (var sink in sinks)
        {
            _ = sink.Done.ContinueWith(_ => onHeader(), TaskScheduler.Default);
        }

        var all = await WaitAsync(Task.WhenAll(sinks.Select(s => s.Done)), options.Duration, abort).ConfigureAwait(false);
        var setupClose = new BenchResult("opt-in");
        await ScenarioSteps.CloseAllAsync(connections, loops, setupClose, SetupConcurrency).ConfigureAwait(false);
        CopyErrors(setupClose, result, "opt-in");
        if (!all)
        {
            throw new SetupException($"{sinks.Count(s => !s.Done.IsCompleted)} of {users} users opted in (?resume=0) but got no resume header within {options.Duration.TotalSeconds} s");
        }

        if (sinks.FirstOrDefault(s => s.Inbox.HeaderProblems > 0 || s.Unexpected > 0) is { } used)
        {
            var h = used.Inbox.Header!;
            throw new SetupException(
                $"user {used.UserId} is not a fresh inbox (header first={h.First} last={h.Last} gap={h.Gap}, {used.Unexpected} other frames): use another --id-base or an empty store");
        }

        return sinks.Select(s => s.Inbox.Header?.Epoch).ToArray();
    }

    private static void AddFill(BenchResult result, InboxFiller[] fillers, MeasurementWindow window, int users, int messages, bool answered, BenchOptions options)
    {
        var planned = (long)users * messages;
        var stored = fillers.Sum(f => f.Stored);
        var answers = fillers.Sum(f => f.Answers);
        var seconds = Math.Max(window.Elapsed.TotalSeconds, 1e-9);
        result.Add("users", users, "count");
        result.Add("messages_per_user", messages, "msg");
        result.Add("fill_senders", fillers.Length, "count");
        result.Add("fill_sent", fillers.Sum(f => f.Sent), "msg");
        result.Add("fill_stored", stored, "msg");
        result.Add("fill_success_send", fillers.Sum(f => f.Success), "msg");
        result.Add("fill_not_online", fillers.Sum(f => f.NotOnline), "msg");
        result.Add("fill_inbox_unavailable", fillers.Sum(f => f.InboxUnavailable), "msg");
        result.Add("fill_error_replies", fillers.Sum(f => f.Errors), "msg");
        result.Add("fill_unanswered", Math.Max(0, fillers.Sum(f => f.Sent) - answers), "msg");
        result.Add("fill_unexpected_messages", fillers.Sum(f => f.Unexpected), "msg");
        result.Add("fill_s", Math.Round(seconds, 3), "s");
        result.Add("fill_answers_per_s", Math.Round(answers / seconds, 1), "msg/s");
        if (window.ServerCpu is { } cpu && answers > 0)
        {
            result.Add("fill_server_cpu_us_per_msg", Math.Round(cpu.TotalSeconds * 1e6 / answers, 2), "us");
        }

        foreach (var failure in fillers.Select(f => f.SendFailure).OfType<string>())
        {
            result.CountError($"fill-{failure}");
        }

        if (!answered)
        {
            result.Notes.Add($"fill: {answers} of {planned} SENDs answered within --duration {options.Duration.TotalSeconds} s");
        }

        if (stored != planned)
        {
            result.Notes.Add($"fill: {stored} of {planned} SENDs answered \"stored\" (every user was offline; see the fill_* counters)");
        }
    }

    private static void AddStorm(
        BenchResult result, BenchOptions options, ResumingUser[] resumers, int connected, string?[] epochs, long start,
        MeasurementWindow window, LatencyRecorder handshakes, bool complete, long accepted)
    {
        using var toHeader = new LatencyRecorder();
        using var toLast = new LatencyRecorder();
        long lastAt = 0;
        foreach (var r in resumers)
        {
            if (r.HeaderAt != 0)
            {
                toHeader.RecordSince(start, r.HeaderAt);
            }

            if (r.LastAt != 0)
            {
                toLast.RecordSince(start, r.LastAt);
                lastAt = Math.Max(lastAt, r.LastAt);
            }
        }

        var received = resumers.Sum(r => r.Received);
        var expected = (long)resumers.Length * options.Messages;
        var allSeconds = lastAt == 0 ? double.NaN : Stopwatch.GetElapsedTime(start, lastAt).TotalSeconds;
        result.Add("resumed", connected, "count");
        result.Add("resumed_complete", resumers.Count(r => r.Done.IsCompleted), "count");
        if (complete)
        {
            result.Add("storm_all_done_s", Math.Round(allSeconds, 3), "s");
            result.Add("replayed_per_s", Math.Round(received / allSeconds, 1), "msg/s");
        }
        else
        {
            result.Notes.Add($"storm: {resumers.Count(r => r.Done.IsCompleted)} of {resumers.Length} users had all their messages within --duration {options.Duration.TotalSeconds} s");
        }

        result.Add("replayed_total", received, "msg");
        result.Add("missing_messages", Math.Max(0, expected - received), "msg");

        // Replayed beyond what the fill was told was stored: SENDs answered "error: inbox unavailable" that were stored anyway.
        result.Add("replayed_despite_refusal", Math.Max(0, received - accepted), "msg");
        result.Add("seq_violations", resumers.Sum(r => r.Inbox.Violations), "msg");
        result.Add("content_mismatches", resumers.Sum(r => r.ContentMismatches), "msg");
        result.Add("resume_header_problems", resumers.Sum(r => r.Inbox.HeaderProblems), "count");
        result.Add("epoch_changes", resumers.Select((r, i) => r.Inbox.Header is { } h && h.Epoch != epochs[i] ? 1 : 0).Sum(), "count");
        result.Add("unexpected_messages", resumers.Sum(r => r.Unexpected), "msg");
        result.AddLatency("time_to_last_message", toLast.Snapshot());
        result.AddLatency("time_to_header", toHeader.Snapshot());
        result.AddLatency("storm_handshake", handshakes.Snapshot());
        ResourceMetrics.Add(result, window, options.Pids, received, "msg");
    }

    private static void CopyErrors(BenchResult from, BenchResult to, string phase)
    {
        foreach (var (reason, count) in from.Errors)
        {
            to.CountError($"{phase}-{reason}", count);
        }
    }

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="timeout"/>; true when it completed.</summary>
    private static async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken abort)
    {
        if (timeout > TimeSpan.Zero)
        {
            await Task.WhenAny(task, ScenarioSteps.DelayAsync(timeout, abort)).ConfigureAwait(false);
        }

        return task.IsCompleted;
    }
}
