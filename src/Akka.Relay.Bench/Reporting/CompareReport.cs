using System.Globalization;
using System.Text.Json;

namespace Akka.Relay.Bench.Reporting;

/// <summary>
/// <c>compare-report</c>: reads the JSON results of repeated runs against two (or more) servers and
/// prints, per metric, each server's median and range and the ratio of the first server's median
/// to the second's, as a Markdown table.
/// </summary>
public static class CompareReport
{
    /// <summary>Runs the subcommand: <c>--run LABEL FILE[+FILE…]</c> (repeatable), <c>[--json OUT]</c>. Returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        var runs = new List<(string Label, Dictionary<string, double> Metrics)>();
        string? jsonOut = null;
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
                default:
                    throw new UsageException($"compare-report: unexpected '{args[i]}' (usage: compare-report --run LABEL FILE[+FILE...] ... [--json OUT])");
            }
        }

        var labels = runs.Select(r => r.Label).Distinct(StringComparer.Ordinal).ToList();
        if (labels.Count < 2)
        {
            throw new UsageException("compare-report needs runs of at least two labels");
        }

        var names = runs.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal)
            .Where(n => labels.All(l => runs.Any(r => r.Label == l && r.Metrics.ContainsKey(n)))).ToList();
        var rows = names.Select(name => new Row(name, labels.Select(l => Summarize(runs.Where(r => r.Label == l).Select(r => r.Metrics.GetValueOrDefault(name, double.NaN)))).ToArray())).ToList();

        var counts = labels.Select(l => runs.Count(r => r.Label == l)).ToArray();
        output.WriteLine($"| metric | {string.Join(" | ", labels.Select((l, i) => $"{l} median [min..max] (n={counts[i]})"))} | {labels[0]} / {labels[1]} |");
        output.WriteLine($"|---|{string.Concat(labels.Select(_ => "---:|"))}---:|");
        foreach (var row in rows)
        {
            var cells = row.Stats.Select(s => $"{ResultWriter.FormatNumber(s.Median)} [{ResultWriter.FormatNumber(s.Min)}..{ResultWriter.FormatNumber(s.Max)}]");
            output.WriteLine($"| {row.Name} | {string.Join(" | ", cells)} | {FormatRatio(row.Ratio)} |");
        }

        if (jsonOut is not null)
        {
            WriteJson(jsonOut, labels, counts, rows);
        }

        return 0;
    }

    private static Dictionary<string, double> ReadMetrics(IEnumerable<string> files)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!document.RootElement.TryGetProperty("metrics", out var section))
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

    private static string FormatRatio(double ratio) =>
        double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static void WriteJson(string path, List<string> labels, int[] counts, List<Row> rows)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
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
                json.WriteStartObject(labels[i]);
                WriteNumber(json, "median", row.Stats[i].Median);
                WriteNumber(json, "min", row.Stats[i].Min);
                WriteNumber(json, "max", row.Stats[i].Max);
                json.WriteEndObject();
            }

            WriteNumber(json, "ratio", row.Ratio);
            json.WriteEndObject();
        }

        json.WriteEndObject();
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

    private sealed record Row(string Name, Stats[] Stats)
    {
        public double Ratio => Stats[1].Median == 0 ? double.NaN : Stats[0].Median / Stats[1].Median;
    }
}
