using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Akka.Relay.Cluster.Tests.Infrastructure;

/// <summary>A relay server as its own OS process (<c>dotnet Akka.Relay.Server.dll</c>), configured by environment variables only.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private ServerProcess(int httpPort, int clusterPort, Dictionary<string, string> environment)
    {
        HttpPort = httpPort;
        ClusterPort = clusterPort;
        _environment = environment;
    }

    /// <summary>The WebSocket port on 127.0.0.1.</summary>
    public int HttpPort { get; }

    /// <summary>The cluster transport port on 127.0.0.1.</summary>
    public int ClusterPort { get; }

    /// <summary>This node's cluster address.</summary>
    public string ClusterAddress => $"akka.tcp://relay@127.0.0.1:{ClusterPort}";

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

    /// <summary>Creates (without starting) a clustered node on fresh loopback ports that joins <paramref name="seed"/>, or forms a cluster when null.</summary>
    public static ServerProcess Create(string? seed, params (string Key, string Value)[] settings)
    {
        var (httpPort, clusterPort) = (FreePort(), FreePort());
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
            ["Relay__Cluster__Enabled"] = "true",
            ["Relay__Cluster__Port"] = clusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (seed is not null)
        {
            environment["Relay__Cluster__SeedNodes__0"] = seed;
        }

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return new ServerProcess(httpPort, clusterPort, environment);
    }

    /// <summary>The WebSocket URI of user <paramref name="userId"/> on this node.</summary>
    public Uri WebSocketUri(ulong userId) => new($"ws://127.0.0.1:{HttpPort}/ws/{userId}");

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

    /// <summary>GET <paramref name="path"/> on this node and its JSON body.</summary>
    public async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> GetJsonAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(path);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.Clone());
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

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static int FreePort()
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
