using System.Collections.Concurrent;
using System.Text;

namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>Counts of what the fuzz clients sent (by kind) and what they saw, for the test output.</summary>
public sealed class FuzzStats
{
    private readonly ConcurrentDictionary<string, long> _inputs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _frames = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _mismatches = new();
    private long _sessions;

    /// <summary>Inputs whose outcome was not the one the spec names.</summary>
    public IReadOnlyCollection<string> Mismatches => _mismatches;

    /// <summary>Inputs sent in all.</summary>
    public long Inputs => _inputs.Values.Sum();

    /// <summary>Counts one input of <paramref name="kind"/> made of <paramref name="frames"/> frames.</summary>
    public void Sent(string kind, int frames)
    {
        _inputs.AddOrUpdate(kind, 1, (_, n) => n + 1);
        _frames.AddOrUpdate(kind, frames, (_, n) => n + frames);
    }

    /// <summary>Counts one observed outcome (e.g. "close 1009", "error: invalid JSON").</summary>
    public void Saw(string outcome) => _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    /// <summary>Counts one session opened by a fuzz client.</summary>
    public void Opened() => Interlocked.Increment(ref _sessions);

    /// <summary>Records an input whose outcome was wrong.</summary>
    public void Mismatch(string what) => _mismatches.Enqueue(what);

    /// <summary>The report: inputs and frames per kind, outcomes, sessions.</summary>
    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine($"{"kind",-26}{"inputs",8}{"frames",8}");
        foreach (var kind in FuzzGenerator.KindNames)
        {
            text.AppendLine($"{kind,-26}{_inputs.GetValueOrDefault(kind),8}{_frames.GetValueOrDefault(kind),8}");
        }

        text.AppendLine($"{"total",-26}{_inputs.Values.Sum(),8}{_frames.Values.Sum(),8}");
        text.AppendLine($"fuzz sessions opened: {Interlocked.Read(ref _sessions)}");
        text.AppendLine("outcomes seen:");
        foreach (var (outcome, count) in _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"  {outcome,-60}{count,8}");
        }

        return text.ToString();
    }
}
