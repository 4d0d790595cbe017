using System.Globalization;
using System.Text.Json;

namespace Akka.Relay.Bench.Reporting;

/// <summary>
/// <c>compare-report</c>: reads the JSON results of repeated runs against two (or more) servers and
/// prints, per metric, each server's median and range, the ratio of the first server's median to
/// the second's, and the median of the paired ratios (run i of the first against run i of the
/// second: with runs taken in alternation A B A B, a pair saw about the same machine load), as a
/// Markdown table. With <c>--target</c>, it also checks targets against those figures.
/// </summary>
public static class CompareReport
{
    /// <summary>The usage text of the subcommand.</summary>
    public const string Usage = """
        usage: compare-report --run LABEL FILE[+FILE...] [--run LABEL FILE...]...
                              [--metrics M1,M2,...] [--target "METRIC ratio<=0.7"]... [--title TEXT] [--name NAME] [--json OUT]
          --run      one run of the server LABEL; FILEs joined by + are merged (their "metrics" objects);
                     repeat --run for each run, in the order they were taken (A B A B ...)
          --metrics  only these metrics, in this order (default: every metric all labels have)
          --target   METRIC ratio<=X | ratio>=X (first label / second label, medians)
                     or METRIC value<=X | value>=X (the first label's median); repeatable
          --title    a heading over the table; --name: the short name --summary shows (default: the title)
          --json     also write the figures and target checks as JSON
               compare-report --summary FILE...   one table of the targets in several --json files
        exit code 0 whether or not targets are met (a benchmark is not a test); 1 on bad input
        """;

    /// <summary>Runs the subcommand. Returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length > 0 && args[0] == "--summary")
        {
            return Summary(args[1..], output);
        }

        var runs = new List<(string Label, Dictionary<string, double> Metrics)>();
        var targets = new List<Target>();
        string? jsonOut = null;
        string? title = null;
        string? name = null;
        List<string>? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--run" when i + 2 < args.Length:
                    runs.Add((args[i + 1], ReadMetrics(args[i + 2].Split('+', StringSplitOptions.RemoveEmptyEntries))));
                    i += 2;
                    break;
                case "--json" when i + 1 < args.Length:
                    jsonOut = args[++i];
                    break;
                case "--title" when i + 1 < args.Length:
                    title = args[++i];
                    break;
                case "--name" when i + 1 < args.Length:
                    name = args[++i];
                    break;
                case "--metrics" when i + 1 < args.Length:
                    only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                    break;
                case "--target" when i + 1 < args.Length:
                    targets.Add(Target.Parse(args[++i]));
                    break;
                default:
                    throw new UsageException($"compare-report: unexpected '{args[i]}'\n{Usage}");
            }
        }

        var labels = runs.Select(r => r.Label).Distinct(StringComparer.Ordinal).ToList();
        if (labels.Count < 2)
        {
            throw new UsageException($"compare-report needs runs of at least two labels\n{Usage}");
        }

        var perLabel = labels.Select(l => runs.Where(r => r.Label == l).Select(r => r.Metrics).ToList()).ToList();
        var common = runs.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal)
            .Where(n => perLabel.All(list => list.Any(m => m.ContainsKey(n)))).ToList();
        var names = only is null ? common : only.Where(common.Contains).ToList();
        var rows = names.Select(name => new Row(
            name,
            perLabel.Select(list => Summarize(list.Select(m => m.GetValueOrDefault(name, double.NaN)))).ToArray(),
            Summarize(PairedRatios(perLabel[0], perLabel[1], name)))).ToList();

        var counts = perLabel.Select(l => l.Count).ToArray();
        if (title is not null)
        {
            output.WriteLine($"### {title}");
            output.WriteLine();
        }

        output.WriteLine($"| metric | {string.Join(" | ", labels.Select((l, i) => $"{l} median [min..max] (n={counts[i]})"))} | {labels[0]} / {labels[1]} | paired ratios median [min..max] |");
        output.WriteLine($"|---|{string.Concat(labels.Select(_ => "---:|"))}---:|---:|");
        foreach (var row in rows)
        {
            var cells = row.Stats.Select(FormatStats);
            output.WriteLine($"| {row.Name} | {string.Join(" | ", cells)} | {FormatRatio(row.Ratio)} | {FormatPaired(row.Paired)} |");
        }

        var checks = targets.Select(t => Evaluate(t, rows, labels)).ToList();
        if (checks.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"| target | {labels[0]} | {labels[1]} | measured | met |");
            output.WriteLine("|---|---:|---:|---:|:---:|");
            foreach (var c in checks)
            {
                output.WriteLine($"| {c.Target.Text} | {FormatStats(c.A)} | {FormatStats(c.B)} | {c.MeasuredText} | {(c.Met is null ? "?" : c.Met.Value ? "yes" : "**no**")} |");
            }
        }

        if (jsonOut is not null)
        {
            WriteJson(jsonOut, name ?? title, labels, counts, rows, checks);
        }

        return 0;
    }

    // One table of every target of several compare-report --json files (one per scenario).
    private static int Summary(string[] files, TextWriter output)
    {
        if (files.Length == 0)
        {
            throw new UsageException($"compare-report --summary needs compare-report --json files\n{Usage}");
        }

        var header = false;
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = document.RootElement;
            var labels = root.GetProperty("labels").EnumerateArray().Select(l => l.GetString() ?? "?").ToArray();
            var runs = root.GetProperty("runs").EnumerateArray().Select(r => r.GetInt32()).ToArray();
            if (!header)
            {
                output.WriteLine($"| scenario | target | {labels[0]} median [range] | {labels[1]} median [range] | measured | met |");
                output.WriteLine("|---|---|---:|---:|---:|:---:|");
                header = true;
            }

            var title = root.TryGetProperty("name", out var t) ? t.GetString() : Path.GetFileNameWithoutExtension(file);
            foreach (var target in root.GetProperty("targets").EnumerateArray())
            {
                var met = target.GetProperty("met");
                var metText = met.ValueKind switch
                {
                    JsonValueKind.True => "yes",
                    JsonValueKind.False => "**no**",
                    _ => "?",
                };
                output.WriteLine($"| {title} (n={string.Join("/", runs)}) | {target.GetProperty("target").GetString()} | {ReadStats(target, "a")} | {ReadStats(target, "b")} | {target.GetProperty("measured_text").GetString()} | {metText} |");
            }
        }

        return 0;
    }

    private static string ReadStats(JsonElement parent, string name)
    {
        var e = parent.GetProperty(name);
        double Get(string key) => e.GetProperty(key).ValueKind == JsonValueKind.Number ? e.GetProperty(key).GetDouble() : double.NaN;
        return FormatStats(new Stats(Get("median"), Get("min"), Get("max")));
    }

    private static Dictionary<string, double> ReadMetrics(IEnumerable<string> files)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!document.RootElement.TryGetProperty("metrics", out var section) || section.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"{file}: no \"metrics\" object");
            }

            foreach (var property in section.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Number)
                {
                    metrics[property.Name] = property.Value.GetDouble();
                }
            }
        }

        return metrics;
    }

    private static IEnumerable<double> PairedRatios(List<Dictionary<string, double>> a, List<Dictionary<string, double>> b, string name)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            if (a[i].TryGetValue(name, out var x) && b[i].TryGetValue(name, out var y) && y != 0)
            {
                yield return x / y;
            }
        }
    }

    private static Stats Summarize(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Stats(double.NaN, double.NaN, double.NaN);
        }

        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Stats(median, sorted[0], sorted[^1]);
    }

    private static Check Evaluate(Target target, List<Row> rows, List<string> labels)
    {
        var row = rows.FirstOrDefault(r => r.Name == target.Metric);
        if (row is null)
        {
            var none = new Stats(double.NaN, double.NaN, double.NaN);
            return new Check(target, none, none, double.NaN, $"no '{target.Metric}' in every label's runs", null);
        }

        var measured = target.OnRatio ? row.Ratio : row.Stats[0].Median;
        bool? met = double.IsFinite(measured) ? (target.AtMost ? measured <= target.Bound : measured >= target.Bound) : null;
        var text = target.OnRatio ? $"{FormatRatio(measured)} ({labels[0]}/{labels[1]})" : ResultWriter.FormatNumber(measured);
        return new Check(target, row.Stats[0], row.Stats[1], measured, text, met);
    }

    private static string FormatStats(Stats s) =>
        double.IsFinite(s.Median) ? $"{ResultWriter.FormatNumber(s.Median)} [{ResultWriter.FormatNumber(s.Min)}..{ResultWriter.FormatNumber(s.Max)}]" : "-";

    private static string FormatRatio(double ratio) =>
        double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static string FormatPaired(Stats s) =>
        double.IsFinite(s.Median) ? $"{FormatRatio(s.Median)} [{FormatRatio(s.Min)}..{FormatRatio(s.Max)}]" : "-";

    private static void WriteJson(string path, string? name, List<string> labels, int[] counts, List<Row> rows, List<Check> checks)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        if (name is not null)
        {
            json.WriteString("name", name);
        }

        json.WriteStartArray("labels");
        foreach (var label in labels)
        {
            json.WriteStringValue(label);
        }

        json.WriteEndArray();
        json.WriteStartArray("runs");
        foreach (var count in counts)
        {
            json.WriteNumberValue(count);
        }

        json.WriteEndArray();
        json.WriteStartObject("metrics");
        foreach (var row in rows)
        {
            json.WriteStartObject(row.Name);
            for (var i = 0; i < labels.Count; i++)
            {
                WriteStats(json, labels[i], row.Stats[i]);
            }

            WriteNumber(json, "ratio", row.Ratio);
            WriteStats(json, "paired_ratio", row.Paired);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteStartArray("targets");
        foreach (var check in checks)
        {
            json.WriteStartObject();
            json.WriteString("target", check.Target.Text);
            WriteStats(json, "a", check.A);
            WriteStats(json, "b", check.B);
            WriteNumber(json, "measured", check.Measured);
            json.WriteString("measured_text", check.MeasuredText);
            if (check.Met is { } met)
            {
                json.WriteBoolean("met", met);
            }
            else
            {
                json.WriteNull("met");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteStats(Utf8JsonWriter json, string name, Stats stats)
    {
        json.WriteStartObject(name);
        WriteNumber(json, "median", stats.Median);
        WriteNumber(json, "min", stats.Min);
        WriteNumber(json, "max", stats.Max);
        json.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private readonly record struct Stats(double Median, double Min, double Max);

    private sealed record Row(string Name, Stats[] Stats, Stats Paired)
    {
        public double Ratio => Stats[1].Median == 0 ? double.NaN : Stats[0].Median / Stats[1].Median;
    }

    private sealed record Check(Target Target, Stats A, Stats B, double Measured, string MeasuredText, bool? Met);

    /// <summary>One target: <c>METRIC ratio&lt;=X</c>, <c>METRIC ratio&gt;=X</c>, <c>METRIC value&lt;=X</c> or <c>METRIC value&gt;=X</c>.</summary>
    private sealed record Target(string Text, string Metric, bool OnRatio, bool AtMost, double Bound)
    {
        public static Target Parse(string text)
        {
            var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2)
            {
                foreach (var (kind, onRatio) in new[] { ("ratio", true), ("value", false) })
                {
                    foreach (var (op, atMost) in new[] { ("<=", true), (">=", false) })
                    {
                        var prefix = kind + op;
                        if (parts[1].StartsWith(prefix, StringComparison.Ordinal)
                            && double.TryParse(parts[1][prefix.Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var bound))
                        {
                            return new Target($"{parts[0]} {kind} {op} {parts[1][prefix.Length..]}", parts[0], onRatio, atMost, bound);
                        }
                    }
                }
            }

            throw new UsageException($"--target '{text}': expected 'METRIC ratio<=X', 'METRIC ratio>=X', 'METRIC value<=X' or 'METRIC value>=X'");
        }
    }
}
