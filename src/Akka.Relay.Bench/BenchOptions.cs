using System.Globalization;
using System.Net;

namespace Akka.Relay.Bench;

/// <summary>The parsed command line: common options and each scenario's own, with their defaults.</summary>
public sealed class BenchOptions
{
    /// <summary>The scenarios the tool runs.</summary>
    public static readonly string[] Scenarios = ["pairs", "broadcast", "idle", "connect", "churn", "storm"];

    /// <summary>The values of <c>--resume</c>: which pairs clients opt in to their inbox.</summary>
    public static readonly string[] ResumeModes = ["none", "half", "all"];

    private static readonly string[] CommonKeys =
    [
        "url", "urls", "allow-remote", "duration", "warmup", "drain", "json", "pid", "id-base", "bind",
        "connect-timeout", "label", "quiet", "max-messages", "concurrency", "token-key",
    ];

    private static readonly Dictionary<string, string[]> ScenarioKeys = new()
    {
        ["pairs"] = ["pairs", "window", "size", "rate", "resume"],
        ["broadcast"] = ["clients", "senders", "window", "size", "rate"],
        ["idle"] = ["connections", "connect-rate", "prewarm"],
        ["connect"] = ["count"],
        ["churn"] = ["messages", "size", "abort-every"],
        ["storm"] = ["users", "messages", "senders", "window", "size"],
    };

    private static readonly string[] Flags = ["allow-remote", "quiet"];

    /// <summary>The scenario to run.</summary>
    public required string Scenario { get; init; }

    /// <summary>Server URLs; clients are spread over them round-robin (client i uses <c>Urls[i % n]</c>).</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }

    /// <summary>Allow targets outside 127.0.0.0/8 and ::1.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>Measured time (pairs, broadcast, connect) or hold time (idle).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Unmeasured load before the window.</summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>How long to wait for in-flight messages after the window.</summary>
    public TimeSpan Drain { get; init; }

    /// <summary>Bound on one connect + handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; }

    /// <summary>Where to write the JSON result, if anywhere.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Server process ids to sample (CPU, RSS).</summary>
    public required IReadOnlyList<int> Pids { get; init; }

    /// <summary>The first user id; client i uses <c>IdBase + i</c>.</summary>
    public ulong IdBase { get; init; }

    /// <summary>Source addresses to bind client sockets to, round-robin (empty: kernel's choice).</summary>
    public required IReadOnlyList<IPAddress> BindAddresses { get; init; }

    /// <summary>Free text stored with the result.</summary>
    public string? Label { get; init; }

    /// <summary>No progress line.</summary>
    public bool Quiet { get; init; }

    /// <summary>Upper bound on messages sent in the whole run.</summary>
    public long MaxMessages { get; init; }

    /// <summary>Connects in flight at once (setup of every scenario; the workers of <c>connect</c>).</summary>
    public int Concurrency { get; init; }

    /// <summary>pairs: number of pairs.</summary>
    public int Pairs { get; init; }

    /// <summary>pairs: unacked SENDs per client; broadcast: broadcasts per sender not yet received by every client.</summary>
    public int Window { get; init; }

    /// <summary>Content bytes per message.</summary>
    public int Size { get; init; }

    /// <summary>Target messages per second over all senders (0: as fast as the window allows).</summary>
    public double Rate { get; init; }

    /// <summary>broadcast: connected clients.</summary>
    public int Clients { get; init; }

    /// <summary>broadcast: how many of the clients broadcast.</summary>
    public int Senders { get; init; }

    /// <summary>idle: connections to open and hold.</summary>
    public int Connections { get; init; }

    /// <summary>idle: connections opened per second.</summary>
    public double ConnectRate { get; init; }

    /// <summary>idle: connections opened and closed before the "before" RSS reading.</summary>
    public int Prewarm { get; init; }

    /// <summary>connect: upper bound on handshakes.</summary>
    public long Count { get; init; }

    /// <summary>churn: SENDs each session sends to itself before it ends.</summary>
    public int Messages { get; init; }

    /// <summary>churn: every n-th session ends by dropping its TCP connection instead of the close handshake (0: never).</summary>
    public int AbortEvery { get; init; }

    /// <summary>
    /// pairs: which clients connect with <c>?resume=0</c> (opt in to their inbox, protocol 1.1):
    /// <c>none</c>; <c>half</c> (the second client of every pair, so the SENDs to it are persisted
    /// and its own are not); <c>all</c> (every SEND is persisted before its answer).
    /// </summary>
    public string Resume { get; init; } = "none";

    /// <summary>storm: users whose inboxes are filled while they are offline and who then resume at once.</summary>
    public int Users { get; init; }

    /// <summary>Sign every handshake with a token for its user, made with this key (the server's <c>Relay:Auth:SigningKey</c>).</summary>
    public string? TokenKey { get; init; }

    /// <summary>The usage text.</summary>
    public static string Usage => """
        usage: Akka.Relay.Bench <scenario> [options]
          scenarios:
            pairs      --pairs 50 --window 32 --size 100 [--rate MSG_PER_S]
            broadcast  --clients 500 --senders 10 --window 16 --size 100 [--rate BROADCASTS_PER_S]
            idle       --connections 1000 --connect-rate 1000 --prewarm 50 (--duration = hold time, default 20)
            connect    --concurrency 16 --count 1000000
            churn      --concurrency 8 --messages 10 --size 100 --abort-every 4
                       (workers open a session for a fresh user, SEND --messages to themselves, check
                        every one arrives in order and is acked, then close; every --abort-every-th
                        session drops its TCP connection instead)
            storm      --users 2000 --messages 50 --senders 20 --window 32 --size 100
                       [--concurrency N (resuming connects in flight, default all users at once)]
                       (protocol 1.1 inbox: the users opt in (?resume=0) and leave; --senders fill each
                        inbox with --messages while its user is offline, checking every answer is
                        "stored"; then every user resumes at the same moment, and the run measures
                        until each has its resume header and seq 1..--messages in order;
                        --duration bounds each phase, default 120)
          pairs with --resume none|half|all: clients connect with ?resume=0 (half: the second client
            of every pair; all: every client, so every SEND is persisted before its answer); counts
            "stored" and "error: inbox unavailable" answers, checks the resume header and that every
            delivered frame carries seq 1, 2, 3, ... (seq_violations, resume_header_problems)
          common:
            --url URL (repeatable) | --urls A,B   server(s), default ws://127.0.0.1:8080;
                                                  client i connects to url[i % n] (pairs: A on the 1st, B on the 2nd)
            --duration S (10)  --warmup S (2)  --drain S (5)  --connect-timeout S (10)
            --pid PID[,PID]    sample server CPU (/proc/PID/stat) and memory (/proc/PID/status)
            --json FILE        write the result as JSON
            --id-base N        first user id (default derived from this process id)
            --bind A[,B|A-B]   bind client sockets to these source addresses, round-robin
                               (e.g. 127.0.0.2-127.0.0.5; each adds ~28k ephemeral ports)
            --concurrency N    connects in flight during setup (default 64; connect: workers, 16)
            --max-messages N   bound on messages sent (default 100000000)
            --label TEXT  --quiet  --allow-remote (targets outside 127.0.0.0/8 and ::1)
            --token-key KEY    send a JWT for each session's user (server's Relay:Auth:SigningKey)
          compare-report --run LABEL FILE[+FILE...] ...   medians/ranges/ratios of JSON results
                                                          (compare-report --help for its options)
        exit codes: 0 done, 1 usage, 2 setup failure (cannot connect), 3 run exceeded its time bound
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/>.</summary>
    public static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || !Scenarios.Contains(args[0]))
        {
            throw new UsageException(args.Length == 0 ? "no scenario given" : $"unknown scenario '{args[0]}'");
        }

        var scenario = args[0];
        var values = ReadPairs(args.AsSpan(1), CommonKeys.Concat(ScenarioKeys[scenario]).ToHashSet(StringComparer.Ordinal), scenario);

        var urls = new List<Uri>();
        foreach (var raw in values.GetValueOrDefault("url", []).Concat(values.GetValueOrDefault("urls", []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))))
        {
            urls.Add(ParseUrl(raw));
        }

        if (urls.Count == 0)
        {
            urls.Add(new Uri("ws://127.0.0.1:8080"));
        }

        var isIdle = scenario == "idle";
        var isConnect = scenario == "connect";
        var isChurn = scenario == "churn";
        var isStorm = scenario == "storm";
        var options = new BenchOptions
        {
            Scenario = scenario,
            Urls = urls,
            AllowRemote = values.ContainsKey("allow-remote"),
            Quiet = values.ContainsKey("quiet"),
            Duration = Seconds(values, "duration", isIdle ? 20 : isStorm ? 120 : 10, 0.1, 3600),
            Warmup = Seconds(values, "warmup", isIdle || isStorm ? 0 : 2, 0, 600),
            Drain = Seconds(values, "drain", 5, 0, 120),
            ConnectTimeout = Seconds(values, "connect-timeout", 10, 0.1, 120),
            JsonPath = Last(values, "json"),
            Pids = values.GetValueOrDefault("pid", []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(v => (int)Integer(v, "pid", 1, int.MaxValue)).ToArray(),
            IdBase = Last(values, "id-base") is { } idBase ? ParseId(idBase) : DefaultIdBase(),
            BindAddresses = values.GetValueOrDefault("bind", []).SelectMany(ParseAddresses).ToArray(),
            Label = Last(values, "label"),
            MaxMessages = Long(values, "max-messages", 100_000_000, 1, long.MaxValue),
            Concurrency = (int)Long(values, "concurrency", isConnect ? 16 : isChurn ? 8 : isStorm ? 0 : 64, isStorm ? 0 : 1, 10_000),
            Pairs = (int)Long(values, "pairs", 50, 1, 9_900),
            Window = (int)Long(values, "window", scenario == "broadcast" ? 16 : 32, 1, 100_000),
            Size = (int)Long(values, "size", 100, 0, Wire.WireFormat.MaxContentBytes),
            Rate = Double(values, "rate", 0, 0, 10_000_000),
            Clients = (int)Long(values, "clients", 500, 1, 19_900),
            Senders = (int)Long(values, "senders", isStorm ? 20 : 10, 1, 19_900),
            Connections = (int)Long(values, "connections", 1000, 1, 1_000_000),
            ConnectRate = Double(values, "connect-rate", 1000, 0.1, 1_000_000),
            Prewarm = (int)Long(values, "prewarm", 50, 0, 10_000),
            Count = Long(values, "count", 1_000_000, 1, 100_000_000),
            Messages = (int)Long(values, "messages", isStorm ? 50 : 10, 1, 1000),
            AbortEvery = (int)Long(values, "abort-every", 4, 0, 1_000_000),
            TokenKey = Last(values, "token-key"),
            Resume = Last(values, "resume") is { } resume
                ? ResumeModes.Contains(resume) ? resume : throw new UsageException($"--resume: '{resume}' is not one of {string.Join(", ", ResumeModes)}")
                : "none",
            Users = (int)Long(values, "users", 2000, 1, 19_000),
        };

        if (scenario == "broadcast" && options.Senders > options.Clients)
        {
            throw new UsageException($"--senders {options.Senders} exceeds --clients {options.Clients}");
        }

        if (options.IdBase == 0 || options.IdBase > ulong.MaxValue - 200_000_000)
        {
            throw new UsageException("--id-base must be between 1 and 2^64-1 minus the ids the run uses");
        }

        return options;
    }

    /// <summary>The effective settings as text, for the report.</summary>
    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        string S(TimeSpan t) => t.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        string N(double d) => d.ToString(CultureInfo.InvariantCulture);
        yield return new("duration_s", S(Duration));
        if (Scenario != "idle")
        {
            yield return new("warmup_s", S(Warmup));
        }

        yield return new("id_base", IdBase.ToString(CultureInfo.InvariantCulture));
        if (BindAddresses.Count > 0)
        {
            yield return new("bind", string.Join(",", BindAddresses));
        }

        if (Pids.Count > 0)
        {
            yield return new("pid", string.Join(",", Pids));
        }

        switch (Scenario)
        {
            case "pairs":
                yield return new("pairs", N(Pairs));
                yield return new("window", N(Window));
                yield return new("size", N(Size));
                yield return new("rate", N(Rate));
                yield return new("resume", Resume);
                break;
            case "broadcast":
                yield return new("clients", N(Clients));
                yield return new("senders", N(Senders));
                yield return new("window", N(Window));
                yield return new("size", N(Size));
                yield return new("rate", N(Rate));
                break;
            case "idle":
                yield return new("connections", N(Connections));
                yield return new("connect_rate", N(ConnectRate));
                yield return new("concurrency", N(Concurrency));
                yield return new("prewarm", N(Prewarm));
                break;
            case "connect":
                yield return new("concurrency", N(Concurrency));
                yield return new("count", N(Count));
                break;
            case "churn":
                yield return new("concurrency", N(Concurrency));
                yield return new("messages", N(Messages));
                yield return new("size", N(Size));
                yield return new("abort_every", N(AbortEvery));
                break;
            case "storm":
                yield return new("users", N(Users));
                yield return new("messages", N(Messages));
                yield return new("senders", N(Senders));
                yield return new("window", N(Window));
                yield return new("size", N(Size));
                yield return new("concurrency", Concurrency == 0 ? "all" : N(Concurrency));
                break;
        }
    }

    private static Dictionary<string, List<string>> ReadPairs(ReadOnlySpan<string> args, HashSet<string> known, string scenario)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            var key = arg[2..];
            string? value = null;
            var eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = key[(eq + 1)..];
                key = key[..eq];
            }

            if (!known.Contains(key))
            {
                throw new UsageException($"option --{key} does not apply to '{scenario}'");
            }

            if (Flags.Contains(key))
            {
                value ??= "true";
            }
            else if (value is null)
            {
                if (i + 1 >= args.Length)
                {
                    throw new UsageException($"--{key} needs a value");
                }

                value = args[++i];
            }

            if (!values.TryGetValue(key, out var list))
            {
                values[key] = list = [];
            }

            list.Add(value);
        }

        return values;
    }

    private static Uri ParseUrl(string raw)
    {
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri))
        {
            throw new UsageException($"'{raw}' is not an absolute URL");
        }

        var scheme = uri.Scheme switch
        {
            "ws" or "http" => "ws",
            "wss" or "https" => "wss",
            _ => throw new UsageException($"'{raw}': only ws://, wss://, http:// and https:// are understood"),
        };
        return new UriBuilder(uri) { Scheme = scheme, Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri;
    }

    private static IEnumerable<IPAddress> ParseAddresses(string raw)
    {
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                yield return IPAddress.TryParse(part, out var single) ? single : throw new UsageException($"--bind: '{part}' is not an IP address");
                continue;
            }

            if (!IPAddress.TryParse(part[..dash], out var first) || !IPAddress.TryParse(part[(dash + 1)..], out var last)
                || first.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || last.AddressFamily != first.AddressFamily)
            {
                throw new UsageException($"--bind: '{part}' is not an IPv4 range A-B");
            }

            var from = ToUInt32(first);
            var to = ToUInt32(last);
            if (to < from || to - from > 1024)
            {
                throw new UsageException($"--bind: range '{part}' is empty or longer than 1024 addresses");
            }

            for (var a = from; a <= to; a++)
            {
                yield return new IPAddress(new[] { (byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a });
            }
        }
    }

    private static uint ToUInt32(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    private static ulong ParseId(string raw) =>
        ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new UsageException($"--id-base: '{raw}' is not an unsigned integer");

    // Distinct per process, so runs started side by side do not share user ids: 10^7 ids per pid.
    private static ulong DefaultIdBase() => 1_000_000_000UL + ((ulong)Environment.ProcessId * 10_000_000UL);

    private static string? Last(Dictionary<string, List<string>> values, string key) =>
        values.TryGetValue(key, out var list) ? list[^1] : null;

    private static TimeSpan Seconds(Dictionary<string, List<string>> values, string key, double fallback, double min, double max) =>
        TimeSpan.FromSeconds(Double(values, key, fallback, min, max));

    private static double Double(Dictionary<string, List<string>> values, string key, double fallback, double min, double max)
    {
        if (Last(values, key) is not { } raw)
        {
            return fallback;
        }

        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{key}: '{raw}' is not a number in [{min}, {max}]");
        }

        return value;
    }

    private static long Long(Dictionary<string, List<string>> values, string key, long fallback, long min, long max) =>
        Last(values, key) is { } raw ? Integer(raw, key, min, max) : fallback;

    private static long Integer(string raw, string key, long min, long max)
    {
        var text = raw.Replace("_", "", StringComparison.Ordinal);
        var multiplier = 1L;
        if (text.EndsWith('k'))
        {
            multiplier = 1000;
            text = text[..^1];
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value * multiplier < min || value * multiplier > max)
        {
            throw new UsageException($"--{key}: '{raw}' is not an integer in [{min}, {max}]");
        }

        return value * multiplier;
    }
}
