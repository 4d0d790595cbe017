using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Testing.Processes;

/// <summary>
/// The relay as its own OS process (<c>dotnet Akka.Relay.Server.dll</c>, configured by environment
/// variables only): its memory can be read from <c>/proc</c> apart from the test's own, and it can be
/// stopped the way an orchestrator does (SIGTERM) or killed (SIGKILL) and started again on the same ports.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private ServerProcess(int httpPort, Dictionary<string, string> environment)
    {
        HttpPort = httpPort;
        _environment = environment;
    }

    /// <summary>The HTTP and WebSocket port on 127.0.0.1.</summary>
    public int HttpPort { get; }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>This node's cluster address (for a clustered node: one with <c>Relay__Cluster__Port</c> set, as <see cref="ProcessCluster"/> makes).</summary>
    public string ClusterAddress => $"akka.tcp://relay@127.0.0.1:{_environment["Relay__Cluster__Port"]}";

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the process has written so far (stdout and stderr), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Creates (without starting) a server on a fresh loopback port with these environment settings.</summary>
    public static ServerProcess Create(params (string Key, string Value)[] settings)
    {
        var httpPort = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return new ServerProcess(httpPort, environment);
    }

    /// <summary>Starts a server and waits until it accepts connections.</summary>
    public static async Task<ServerProcess> StartAsync(params (string Key, string Value)[] settings)
    {
        var server = Create(settings);
        server.Start();
        await server.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>Waits until the started process accepts TCP connections on its HTTP port; fails if it exits first.</summary>
    public async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(IsRunning, "the server exited at start:\n" + Log);
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, HttpPort);
                return;
            }
            catch (SocketException) when (watch.Elapsed < timeout)
            {
                await Task.Delay(Probe.PollInterval);
            }
        }
    }

    /// <summary>Starts (or restarts) the process on the same ports.</summary>
    public void Start()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerDll)!,
        };
        start.ArgumentList.Add(ServerDll);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>The WebSocket URI of user <paramref name="userId"/> on this server.</summary>
    public Uri WebSocketUri(ulong userId) => new($"ws://127.0.0.1:{HttpPort}/ws/{userId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A field of <c>/proc/PID/status</c> in KiB (VmRSS, VmHWM).</summary>
    public long StatusKib(string field)
    {
        var pid = (_process ?? throw new InvalidOperationException("not started")).Id;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {field} in /proc/{pid}/status");
    }

    /// <summary>The scheduling policy (field 41 of <c>/proc/PID/task/TID/stat</c>; 0 normal, 3 batch) of each thread named <paramref name="threadName"/>.</summary>
    public IReadOnlyList<int> ThreadPolicies(string threadName)
    {
        var pid = (_process ?? throw new InvalidOperationException("not started")).Id;
        var policies = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string name, stat;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // The thread ended meanwhile.
            }

            if (name == threadName)
            {
                // The fields after the name (in parentheses, which may hold spaces) start with field 3.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                policies.Add(int.Parse(fields[41 - 3], CultureInfo.InvariantCulture));
            }
        }

        return policies;
    }

    /// <summary>GET <paramref name="path"/> on this server and its JSON body.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(path);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.Clone());
    }

    /// <summary>Kills the process at once (SIGKILL): no drain, no cluster leave.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Asks the process to stop the way an orchestrator does (SIGTERM) and returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        Assert.Equal(0, SendSignal(process.Id, SigTerm));
        await process.WaitForExitAsync().WaitAsync(timeout);
        return process.ExitCode;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    /// <summary>The server built next to this test run (same configuration), found from the repository root.</summary>
    private static string ServerDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Akka.Relay.sln")))
            {
                root = root.Parent;
            }

            Assert.NotNull(root);
            var dll = Path.Combine(root.FullName, "src", "Akka.Relay.Server", "bin", configuration, "net10.0", "Akka.Relay.Server.dll");
            Assert.True(File.Exists(dll), $"server not built at {dll}");
            return dll;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>A TCP port on loopback that nothing listens on right now.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
