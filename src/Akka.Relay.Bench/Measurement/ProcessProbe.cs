using System.Globalization;
using System.Runtime.InteropServices;

namespace Akka.Relay.Bench.Measurement;

/// <summary>Reads CPU time and memory of processes from <c>/proc</c> (Linux), and this process's own CPU time.</summary>
public static class ProcessProbe
{
    private static readonly Lazy<long> ClockTicks = new(ReadClockTicks);

    /// <summary>This process's user+system CPU time so far (getrusage, microsecond resolution).</summary>
    public static TimeSpan SelfCpu() => Environment.CpuUsage.TotalTime;

    /// <summary>utime+stime of <paramref name="pid"/> from <c>/proc/PID/stat</c>; null if it cannot be read.</summary>
    public static TimeSpan? Cpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime is field 14, stime field 15.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds((double)ticks / ClockTicks.Value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Sum of <see cref="Cpu(int)"/> over <paramref name="pids"/>; null if any cannot be read or none are given.</summary>
    public static TimeSpan? Cpu(IReadOnlyList<int> pids)
    {
        if (pids.Count == 0)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (var pid in pids)
        {
            var cpu = Cpu(pid);
            if (cpu is null)
            {
                return null;
            }

            total += cpu.Value;
        }

        return total;
    }

    /// <summary>A <c>/proc/PID/status</c> field in KiB (<c>VmRSS</c>, <c>VmHWM</c>), summed over <paramref name="pids"/>; null if unreadable.</summary>
    public static long? StatusKib(IReadOnlyList<int> pids, string field)
    {
        if (pids.Count == 0)
        {
            return null;
        }

        long total = 0;
        foreach (var pid in pids)
        {
            var value = StatusKib(pid, field);
            if (value is null)
            {
                return null;
            }

            total += value.Value;
        }

        return total;
    }

    /// <summary>True if a process with this id exists.</summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>The soft limit on open files of this process (<c>/proc/self/limits</c>), or null.</summary>
    public static long? OpenFilesLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    private static long? StatusKib(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ':')
                {
                    // "VmRSS:\t  123456 kB": a tab, then padding spaces.
                    var parts = line[(field.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    private static long ReadClockTicks()
    {
        try
        {
            var ticks = OperatingSystem.IsLinux() ? NativeMethods.sysconf(NativeMethods.ScClkTck) : -1;
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    private static class NativeMethods
    {
        public const int ScClkTck = 2;

        [DllImport("libc", SetLastError = false)]
        public static extern long sysconf(int name);
    }
}
