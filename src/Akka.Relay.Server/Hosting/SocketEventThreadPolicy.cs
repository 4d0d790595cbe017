using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Hosting;

/// <summary>
/// On Linux, once Kestrel listens, puts the .NET socket engine's event threads under <c>SCHED_BATCH</c>
/// (<c>Relay:BatchSocketEventThreads</c>).
/// </summary>
/// <remarks>
/// The event thread sleeps in <c>epoll_wait</c> and is woken by every socket event, even ones nothing waits for (a
/// new socket's registration reports it writable at once, a closing socket's own shutdown). Woken as an ordinary
/// thread it preempts the thread-pool thread that caused the event, on a busy core, which then waits to run again:
/// two context switches for an event it hands back to the thread pool anyway. Under <c>SCHED_BATCH</c> a waking
/// thread never preempts: it runs at once on an idle core, otherwise when the running thread's slice ends, and then
/// takes the events that gathered meanwhile in one pass. Unprivileged (only real-time policies need rights).
/// </remarks>
internal sealed partial class SocketEventThreadPolicy : BackgroundService
{
    // The name the runtime gives its socket event threads (/proc/self/task/TID/comm).
    private const string EventThreadName = ".NET Sockets";

    // linux/sched.h
    private const int SchedBatch = 3;

    // The engine starts its threads with the first socket operation that waits (Kestrel's accept): look a few times.
    private static readonly TimeSpan LookInterval = TimeSpan.FromMilliseconds(100);
    private const int Looks = 100;

    private readonly IHostApplicationLifetime _lifetime;
    private readonly IOptions<RelayOptions> _options;
    private readonly ILogger<SocketEventThreadPolicy> _logger;

    /// <summary>Creates the service.</summary>
    public SocketEventThreadPolicy(IHostApplicationLifetime lifetime, IOptions<RelayOptions> options, ILogger<SocketEventThreadPolicy> logger)
    {
        _lifetime = lifetime;
        _options = options;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Value.BatchSocketEventThreads || !OperatingSystem.IsLinux())
        {
            return;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }

        using var timer = new PeriodicTimer(LookInterval);
        for (var look = 0; look < Looks; look++)
        {
            var threads = BatchEventThreads();
            if (threads.Count > 0)
            {
                _logger.LogInformation("Socket event threads {ThreadIds} run under SCHED_BATCH", string.Join(", ", threads));
                return;
            }

            await timer.WaitForNextTickAsync(stoppingToken);
        }

        _logger.LogWarning("No socket event thread ({ThreadName}) found within {Seconds} s: they keep the default scheduling", EventThreadName, (Looks * LookInterval).TotalSeconds);
    }

    private List<int> BatchEventThreads()
    {
        var changed = new List<int>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue; // The thread ended meanwhile.
            }

            if (name != EventThreadName || !int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var threadId))
            {
                continue;
            }

            var parameters = default(SchedParam);
            if (SetScheduler(threadId, SchedBatch, ref parameters) == 0)
            {
                changed.Add(threadId);
            }
            else
            {
                _logger.LogWarning("Could not put socket event thread {ThreadId} under SCHED_BATCH (errno {Errno})", threadId, Marshal.GetLastPInvokeError());
            }
        }

        return changed;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int threadId, int policy, ref SchedParam parameters);
}
