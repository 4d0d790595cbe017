using Akka.Relay.Bench;
using Akka.Relay.Bench.Auth;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Reporting;
using Akka.Relay.Bench.Scenarios;

// Entry point: parse, guard the target, run one scenario under a hard time bound, report.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Out.WriteLine(BenchOptions.Usage);
    return args.Length == 0 ? 1 : 0;
}

try
{
    if (args[0] == "compare-report")
    {
        if (args.Length == 1 || args[1] is "-h" or "--help")
        {
            Console.Out.WriteLine(CompareReport.Usage);
            return args.Length == 1 ? 1 : 0;
        }

        return CompareReport.Run(args[1..], Console.Out);
    }

    if (args[0] == "token")
    {
        if (args.Length == 1 || args[1] is "-h" or "--help")
        {
            Console.Out.WriteLine(TokenCommand.Usage);
            return args.Length == 1 ? 1 : 0;
        }

        return TokenCommand.Run(args[1..], Console.Out);
    }

    var options = BenchOptions.Parse(args);
    await TargetGuard.CheckAsync(options);
    foreach (var pid in options.Pids)
    {
        if (!Akka.Relay.Bench.Measurement.ProcessProbe.Exists(pid))
        {
            throw new UsageException($"--pid {pid}: no such process");
        }
    }

    using var abort = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        // First Ctrl+C ends the run early (with a report); a second one kills it.
        if (!abort.IsCancellationRequested)
        {
            e.Cancel = true;
            Console.Error.WriteLine("interrupted: finishing early");
            abort.Cancel();
        }
    };

    using var watchdog = Watchdog.Start(options);
    // Tokens outlive the run: the watchdog ends it long before they expire.
    var tokens = options.TokenKey is { } tokenKey ? new TokenMinter(TokenMinter.ParseKey(tokenKey), null, null, Watchdog.Bound(options) + TimeSpan.FromHours(1)) : null;
    using var factory = new ConnectionFactory(options.BindAddresses, tokens);
    var result = options.Scenario switch
    {
        "pairs" => await PairsScenario.RunAsync(options, factory, abort.Token),
        "broadcast" => await BroadcastScenario.RunAsync(options, factory, abort.Token),
        "idle" => await IdleScenario.RunAsync(options, factory, abort.Token),
        "connect" => await ConnectScenario.RunAsync(options, factory, abort.Token),
        "churn" => await ChurnScenario.RunAsync(options, factory, abort.Token),
        "storm" => await StormScenario.RunAsync(options, factory, abort.Token),
        _ => throw new UsageException($"unknown scenario '{options.Scenario}'"),
    };

    result.Label = options.Label;
    result.Urls.AddRange(options.Urls.Select(u => u.ToString()));
    foreach (var (key, value) in options.Describe())
    {
        result.Settings[key] = value;
    }

    if (abort.IsCancellationRequested)
    {
        result.Notes.Add("interrupted before the end of the run");
    }

    ResultWriter.PrintTable(result, Console.Out);
    if (options.JsonPath is not null)
    {
        ResultWriter.WriteJson(result, options.JsonPath);
        Console.Error.WriteLine($"wrote {options.JsonPath}");
    }

    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    if (args[0] == "token")
    {
        Console.Error.WriteLine(TokenCommand.Usage);
    }
    else if (args[0] != "compare-report")
    {
        Console.Error.WriteLine(BenchOptions.Usage);
    }

    return 1;
}
catch (SetupException e)
{
    Console.Error.WriteLine($"setup failed: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
{
    // compare-report's input files, --json's output path.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
