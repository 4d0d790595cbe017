using System.Diagnostics;

namespace Akka.Relay.Bench.Measurement;

/// <summary>
/// The measured part of a run: between <see cref="Begin"/> and <see cref="End"/> it records the
/// wall time, this process's CPU time and the servers' CPU time (when their PIDs are known).
/// Scenarios record latencies only while <see cref="IsMeasuring"/>.
/// </summary>
public sealed class MeasurementWindow
{
    private readonly IReadOnlyList<int> _serverPids;
    private volatile int _phase;
    private long _startTimestamp;
    private long _endTimestamp;
    private TimeSpan _selfCpuStart;
    private TimeSpan _selfCpuEnd;
    private TimeSpan? _serverCpuStart;
    private TimeSpan? _serverCpuEnd;

    /// <summary>Creates a window that will sample <paramref name="serverPids"/>.</summary>
    public MeasurementWindow(IReadOnlyList<int> serverPids)
    {
        _serverPids = serverPids;
    }

    /// <summary>True between <see cref="Begin"/> and <see cref="End"/>.</summary>
    public bool IsMeasuring => _phase == 1;

    /// <summary>True once <see cref="End"/> was called.</summary>
    public bool HasEnded => _phase == 2;

    /// <summary>Wall time of the window.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp, _endTimestamp == 0 ? Stopwatch.GetTimestamp() : _endTimestamp);

    /// <summary>This process's CPU time during the window.</summary>
    public TimeSpan SelfCpu => _selfCpuEnd - _selfCpuStart;

    /// <summary>The servers' CPU time during the window, or null without PIDs.</summary>
    public TimeSpan? ServerCpu => _serverCpuStart is { } s && _serverCpuEnd is { } e ? e - s : null;

    /// <summary>Starts the window.</summary>
    public void Begin()
    {
        _serverCpuStart = ProcessProbe.Cpu(_serverPids);
        _selfCpuStart = ProcessProbe.SelfCpu();
        _startTimestamp = Stopwatch.GetTimestamp();
        _phase = 1;
    }

    /// <summary>Ends the window.</summary>
    public void End()
    {
        _phase = 2;
        _endTimestamp = Stopwatch.GetTimestamp();
        _selfCpuEnd = ProcessProbe.SelfCpu();
        _serverCpuEnd = ProcessProbe.Cpu(_serverPids);
    }
}
