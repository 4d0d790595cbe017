using Akka.Relay.Bench.Measurement;

namespace Akka.Relay.Bench.Reporting;

/// <summary>Adds the CPU and memory figures of a run: this tool's own CPU use and, with <c>--pid</c>, the server's.</summary>
public static class ResourceMetrics
{
    /// <summary>
    /// Adds client and server CPU over the window, per <paramref name="unitName"/> (e.g. delivered
    /// message) when <paramref name="units"/> &gt; 0, and the servers' current and peak RSS.
    /// </summary>
    public static void Add(BenchResult result, MeasurementWindow window, IReadOnlyList<int> serverPids, long units, string unitName)
    {
        var wall = window.Elapsed.TotalSeconds;
        var self = window.SelfCpu.TotalSeconds;
        result.Add("window_s", Math.Round(wall, 3), "s");
        result.Add("client_cpu_s", Math.Round(self, 3), "s");
        result.Add("client_cpu_cores", Math.Round(self / Math.Max(wall, 1e-9), 3), "cores");
        if (units > 0)
        {
            result.Add($"client_cpu_us_per_{unitName}", Math.Round(self * 1e6 / units, 2), "us");
        }

        if (window.ServerCpu is { } server)
        {
            var s = server.TotalSeconds;
            result.Add("server_cpu_s", Math.Round(s, 3), "s");
            result.Add("server_cpu_cores", Math.Round(s / Math.Max(wall, 1e-9), 3), "cores");
            if (units > 0)
            {
                result.Add($"server_cpu_us_per_{unitName}", Math.Round(s * 1e6 / units, 2), "us");
            }
        }

        AddServerMemory(result, serverPids);
        if (self / Math.Max(wall, 1e-9) > 0.9 * Environment.ProcessorCount / 2.0)
        {
            result.Notes.Add($"the load generator used {self / wall:F2} cores of {Environment.ProcessorCount}: it may be the bottleneck");
        }
    }

    /// <summary>Adds the servers' VmRSS and VmHWM now (KiB), when PIDs are known.</summary>
    public static void AddServerMemory(BenchResult result, IReadOnlyList<int> serverPids)
    {
        result.AddIfKnown("server_rss_kib", ProcessProbe.StatusKib(serverPids, "VmRSS"), "KiB");
        result.AddIfKnown("server_vmhwm_kib", ProcessProbe.StatusKib(serverPids, "VmHWM"), "KiB");
    }
}
