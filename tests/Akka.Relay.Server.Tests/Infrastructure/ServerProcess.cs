using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>
/// The relay as its own OS process (<c>dotnet Akka.Relay.Server.dll</c>, configured by environment
/// variables only), so that its memory can be read from <c>/proc</c> apart from the test's own.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUri { get; }

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>What the process has written (stdout and stderr), for failure messages.</summary>
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

    /// <summary>Starts the server built next to this test run on a free loopback port and waits until it accepts connections.</summary>
    public static async Task<ServerProcess> StartAsync(params (string Key, string Value)[] environment)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerDll)!,
        };
        start.ArgumentList.Add(ServerDll);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var server = new ServerProcess(new Process { StartInfo = start }, port);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();

        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(server.IsRunning, "the server exited at start:\n" + server.Log);
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(Probe.PollInterval);
            }
        }
    }

    /// <summary>The WebSocket URI of user <paramref name="userId"/>.</summary>
    public Uri WebSocketUri(ulong userId) => new($"ws://127.0.0.1:{BaseUri.Port}/ws/{userId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A field of <c>/proc/PID/status</c> in KiB (VmRSS, VmHWM).</summary>
    public long StatusKib(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {field} in /proc/{_process.Id}/status");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
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
