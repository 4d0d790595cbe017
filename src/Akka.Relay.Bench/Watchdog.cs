namespace Akka.Relay.Bench;

/// <summary>The hard time bound of a run: if the run is still going well past its planned length, the process exits with code 3.</summary>
public static class Watchdog
{
    /// <summary>The exit code of a run that exceeded its bound.</summary>
    public const int ExitCode = 3;

    /// <summary>Starts the timer for <paramref name="options"/>; dispose it when the run ends.</summary>
    public static IDisposable Start(BenchOptions options)
    {
        var bound = Bound(options);
        return new Timer(_ =>
        {
            Console.Error.WriteLine($"error: the run exceeded its time bound of {bound.TotalSeconds:F0} s; exiting");
            Environment.Exit(ExitCode);
        }, null, bound, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Planned length plus generous slack: connect phase, warmup, duration, drain, closing.</summary>
    public static TimeSpan Bound(BenchOptions options)
    {
        var sessions = options.Scenario switch
        {
            "pairs" => options.Pairs * 2,
            "broadcast" => options.Clients,
            "idle" => options.Connections + options.Prewarm,
            _ => options.Concurrency,
        };
        var connectPhase = options.Scenario == "idle"
            ? TimeSpan.FromSeconds(sessions / options.ConnectRate) + (options.ConnectTimeout * 2)
            : TimeSpan.FromSeconds(sessions / 200.0) + (options.ConnectTimeout * 2);
        if (options.Scenario == "storm")
        {
            // Opt-in, fill and storm are each bounded by --duration; the users connect twice, the senders once.
            var connects = TimeSpan.FromSeconds(((options.Users * 2) + options.Senders) / 200.0) + (options.ConnectTimeout * 3);
            return connects + (options.Duration * 3) + TimeSpan.FromSeconds(60);
        }

        return connectPhase + options.Warmup + options.Duration + options.Drain + TimeSpan.FromSeconds(60);
    }
}
