using HdrHistogram;

namespace Akka.Relay.Bench.Reporting;

/// <summary>One named number of a run, with its unit.</summary>
public sealed record Metric(string Name, double Value, string Unit);

/// <summary>What a run measured: scenario, settings, metrics in report order, and error counters.</summary>
public sealed class BenchResult
{
    private readonly List<Metric> _metrics = [];

    /// <summary>Creates an empty result for <paramref name="scenario"/>.</summary>
    public BenchResult(string scenario)
    {
        Scenario = scenario;
    }

    /// <summary>The scenario name.</summary>
    public string Scenario { get; }

    /// <summary>Free text from <c>--label</c>.</summary>
    public string? Label { get; set; }

    /// <summary>Server URLs the run targeted.</summary>
    public List<string> Urls { get; } = [];

    /// <summary>The effective settings, as text.</summary>
    public SortedDictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>Counted problems by short reason (connect failures, unexpected closes …).</summary>
    public SortedDictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>Notes for the reader (warnings about the measurement itself).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The metrics in the order they were added.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Adds a metric.</summary>
    public void Add(string name, double value, string unit) => _metrics.Add(new Metric(name, value, unit));

    /// <summary>Adds a metric when <paramref name="value"/> is known.</summary>
    public void AddIfKnown(string name, double? value, string unit)
    {
        if (value is { } v && double.IsFinite(v))
        {
            Add(name, v, unit);
        }
    }

    /// <summary>Adds <paramref name="count"/> to the error counter <paramref name="reason"/> (nothing if 0).</summary>
    public void CountError(string reason, long count = 1)
    {
        if (count != 0)
        {
            Errors[reason] = Errors.GetValueOrDefault(reason) + count;
        }
    }

    /// <summary>Adds count, p50, p90, p99, p99.9, max and mean of a microsecond histogram as <c>{prefix}_…_us</c>.</summary>
    public void AddLatency(string prefix, LongHistogram histogram)
    {
        Add($"{prefix}_samples", histogram.TotalCount, "count");
        if (histogram.TotalCount == 0)
        {
            return;
        }

        Add($"{prefix}_p50_us", histogram.GetValueAtPercentile(50), "us");
        Add($"{prefix}_p90_us", histogram.GetValueAtPercentile(90), "us");
        Add($"{prefix}_p99_us", histogram.GetValueAtPercentile(99), "us");
        Add($"{prefix}_p99_9_us", histogram.GetValueAtPercentile(99.9), "us");
        Add($"{prefix}_max_us", histogram.GetMaxValue(), "us");
        Add($"{prefix}_mean_us", Math.Round(histogram.GetMean(), 1), "us");
    }
}
