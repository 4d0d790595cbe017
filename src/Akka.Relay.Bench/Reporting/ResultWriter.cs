using System.Globalization;
using System.Text.Json;

namespace Akka.Relay.Bench.Reporting;

/// <summary>Prints a result as a table and writes it as JSON.</summary>
public static class ResultWriter
{
    /// <summary>Formats a number for a table: integers plainly, others with a few decimals.</summary>
    public static string FormatNumber(double value)
    {
        if (Math.Abs(value) >= 1e15 || value == Math.Floor(value))
        {
            return value.ToString("#,0", CultureInfo.InvariantCulture);
        }

        return Math.Abs(value) >= 100
            ? value.ToString("#,0.0", CultureInfo.InvariantCulture)
            : value.ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>Writes the summary table.</summary>
    public static void PrintTable(BenchResult result, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"== {result.Scenario}{(result.Label is null ? "" : $" [{result.Label}]")} against {string.Join(", ", result.Urls)}");
        output.WriteLine("   " + string.Join(" ", result.Settings.Select(s => $"{s.Key}={s.Value}")));
        var width = Math.Max(24, result.Metrics.Count == 0 ? 0 : result.Metrics.Max(m => m.Name.Length) + 2);
        output.WriteLine($"   {"metric".PadRight(width)}{"value",16}  unit");
        output.WriteLine($"   {new string('-', width)}{new string('-', 16)}  ----");
        foreach (var metric in result.Metrics)
        {
            output.WriteLine($"   {metric.Name.PadRight(width)}{FormatNumber(metric.Value),16}  {metric.Unit}");
        }

        if (result.Errors.Count > 0)
        {
            output.WriteLine("   errors: " + string.Join(", ", result.Errors.Select(e => $"{e.Key}={e.Value}")));
        }

        foreach (var note in result.Notes)
        {
            output.WriteLine("   note: " + note);
        }
    }

    /// <summary>Writes the result as one JSON object to <paramref name="path"/>.</summary>
    public static void WriteJson(BenchResult result, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("tool", "Akka.Relay.Bench");
        json.WriteString("scenario", result.Scenario);
        if (result.Label is not null)
        {
            json.WriteString("label", result.Label);
        }

        json.WriteString("finished_utc", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("machine", $"{Environment.MachineName}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        json.WriteStartArray("urls");
        foreach (var url in result.Urls)
        {
            json.WriteStringValue(url);
        }

        json.WriteEndArray();
        json.WriteStartObject("settings");
        foreach (var (key, value) in result.Settings)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        json.WriteStartObject("metrics");
        foreach (var metric in result.Metrics)
        {
            json.WriteNumber(metric.Name, metric.Value);
        }

        json.WriteEndObject();
        json.WriteStartObject("units");
        foreach (var metric in result.Metrics)
        {
            json.WriteString(metric.Name, metric.Unit);
        }

        json.WriteEndObject();
        json.WriteStartObject("errors");
        foreach (var (reason, count) in result.Errors)
        {
            json.WriteNumber(reason, count);
        }

        json.WriteEndObject();
        json.WriteStartArray("notes");
        foreach (var note in result.Notes)
        {
            json.WriteStringValue(note);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
