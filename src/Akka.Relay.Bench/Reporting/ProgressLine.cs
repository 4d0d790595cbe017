using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Akka.Relay.Bench.Reporting;

/// <summary>
/// Prints one progress line per second to stderr: a phase name, running totals and per-second
/// rates of the counters the scenario registered.
/// </summary>
public sealed class ProgressLine : IAsyncDisposable
{
    private readonly List<(string Name, Func<long> Read, bool AsRate)> _items = [];
    private readonly long[] _previous = new long[32];
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly bool _enabled;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _previousTimestamp;

    /// <summary>Creates a progress line; nothing is printed when <paramref name="enabled"/> is false.</summary>
    public ProgressLine(bool enabled)
    {
        _enabled = enabled;
    }

    /// <summary>The phase shown at the start of the line (connect, warmup, measure, drain …).</summary>
    public string Phase { get; set; } = "setup";

    /// <summary>Shows a counter as a per-second rate (<paramref name="asRate"/>) or as its value.</summary>
    public ProgressLine Add(string name, Func<long> read, bool asRate)
    {
        if (_items.Count == _previous.Length)
        {
            throw new InvalidOperationException("too many progress items");
        }

        _items.Add((name, read, asRate));
        return this;
    }

    /// <summary>Starts printing.</summary>
    public void Start()
    {
        if (!_enabled)
        {
            return;
        }

        _previousTimestamp = Stopwatch.GetTimestamp();
        for (var i = 0; i < _items.Count; i++)
        {
            _previous[i] = _items[i].Read();
        }

        _loop = Task.Run(LoopAsync);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Console.Error.WriteLine(Render());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string Render()
    {
        var now = Stopwatch.GetTimestamp();
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_previousTimestamp, now).TotalSeconds, 1e-3);
        _previousTimestamp = now;
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(_started, now).TotalSeconds,6:F1}s {Phase,-8}]");
        for (var i = 0; i < _items.Count; i++)
        {
            var value = _items[i].Read();
            if (_items[i].AsRate)
            {
                line.Append(CultureInfo.InvariantCulture, $" {_items[i].Name}/s={(value - _previous[i]) / seconds:F0}");
            }
            else
            {
                line.Append(CultureInfo.InvariantCulture, $" {_items[i].Name}={value}");
            }

            _previous[i] = value;
        }

        return line.ToString();
    }
}
