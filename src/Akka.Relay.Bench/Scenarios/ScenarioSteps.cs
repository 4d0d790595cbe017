using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Reporting;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>The steps every scenario shares: waiting without throwing, the warmup/measure timeline, closing sessions.</summary>
public static class ScenarioSteps
{
    /// <summary>Waits <paramref name="delay"/>, or less if <paramref name="cancellationToken"/> fires; never throws.</summary>
    public static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline || cancellationToken.IsCancellationRequested)
            {
                return condition();
            }

            await DelayAsync(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Runs warmup, then the measured window; <paramref name="onBegin"/>/<paramref name="onEnd"/> snapshot the scenario's counters.</summary>
    public static async Task RunWindowAsync(
        BenchOptions options, MeasurementWindow window, ProgressLine progress, Action onBegin, Action onEnd, CancellationToken abort)
    {
        progress.Phase = "warmup";
        await DelayAsync(options.Warmup, abort).ConfigureAwait(false);
        window.Begin();
        onBegin();
        progress.Phase = "measure";
        await DelayAsync(options.Duration, abort).ConfigureAwait(false);
        window.End();
        onEnd();
    }

    /// <summary>Closes every session (close handshake, bounded), waits for the receive loops, and counts sessions the server had dropped.</summary>
    public static async Task CloseAllAsync(IReadOnlyList<RelayConnection> connections, IReadOnlyList<Task> receiveLoops, BenchResult result, int concurrency)
    {
        // Read before closing: afterwards every loop has ended.
        var dropped = connections.Where(c => c.DroppedByServer).ToArray();
        foreach (var connection in dropped)
        {
            result.CountError($"dropped:{connection.EndReason}");
        }

        result.Add("disconnects", dropped.Length, "count");
        using var gate = new SemaphoreSlim(concurrency);
        var closing = connections.Select(async c =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await c.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(closing).ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(receiveLoops), Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }

    /// <summary>Throws <see cref="UsageException"/> when <paramref name="sockets"/> would not fit this process's open-file limit.</summary>
    public static void CheckFileLimit(int sockets)
    {
        if (ProcessProbe.OpenFilesLimit() is { } limit && sockets + 100 > limit)
        {
            throw new UsageException(
                $"{sockets} sockets do not fit this process's open-file limit ({limit}); split the load over several processes (distinct --id-base, and --bind 127.0.0.x source addresses)");
        }
    }

    /// <summary>Setup check: one open and close against the first URL must work, or the server is not there.</summary>
    public static async Task CheckServerAsync(BenchOptions options, ConnectionFactory factory, CancellationToken abort)
    {
        try
        {
            var probe = await RelayConnection.ConnectAsync(factory, options.Urls[0], options.IdBase, options.ConnectTimeout, abort).ConfigureAwait(false);
            await probe.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            probe.Dispose();
        }
        catch (ConnectException e)
        {
            throw new SetupException(e.Message, e);
        }
    }
}
