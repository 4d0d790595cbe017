using System.Globalization;
using System.Net;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>One scrape of <c>/metrics</c> (Prometheus text format), read the way Prometheus reads it.</summary>
public sealed class MetricsScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples;

    private MetricsScrape(string text, List<(string Name, Dictionary<string, string> Labels, double Value)> samples)
    {
        Text = text;
        _samples = samples;
    }

    /// <summary>The raw exposition text.</summary>
    public string Text { get; }

    /// <summary>GETs <c>/metrics</c> over HTTP and parses it.</summary>
    public static async Task<MetricsScrape> TakeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return new MetricsScrape(text, Parse(text));
    }

    /// <summary>True when any sample of metric <paramref name="name"/> is present.</summary>
    public bool Has(string name) => _samples.Any(s => s.Name == name);

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 when there are none.</summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        _samples
            .Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .Sum(s => s.Value);

    /// <summary>How much <paramref name="name"/> (with <paramref name="labels"/>) grew since <paramref name="before"/>.</summary>
    public double Delta(MetricsScrape before, string name, params (string Key, string Value)[] labels) =>
        Value(name, labels) - before.Value(name, labels);

    private static List<(string, Dictionary<string, string>, double)> Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            string rest;
            var brace = line.IndexOf('{');
            var space = line.IndexOf(' ');
            if (brace >= 0 && brace < space)
            {
                name = line[..brace];
                var end = ReadLabels(line, brace + 1, labels);
                rest = line[(end + 1)..].Trim();
            }
            else
            {
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }

            // "value [timestamp]"
            var value = rest.Split(' ')[0];
            samples.Add((name, labels, value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, CultureInfo.InvariantCulture),
            }));
        }

        return samples;
    }

    // Reads key="value" pairs (with \" \\ \n escapes) up to the closing brace; returns the brace's index.
    private static int ReadLabels(string line, int at, Dictionary<string, string> labels)
    {
        while (line[at] != '}')
        {
            var equals = line.IndexOf('=', at);
            var key = line[at..equals].Trim().TrimStart(',').Trim();
            at = equals + 2; // past ="
            var value = new System.Text.StringBuilder();
            while (line[at] != '"')
            {
                if (line[at] == '\\')
                {
                    at++;
                    value.Append(line[at] == 'n' ? '\n' : line[at]);
                }
                else
                {
                    value.Append(line[at]);
                }

                at++;
            }

            labels[key] = value.ToString();
            at++; // past the closing quote
            if (line[at] == ',')
            {
                at++;
            }
        }

        return at;
    }
}
