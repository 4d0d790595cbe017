using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Akka.Relay.Testing.Stores;

/// <summary>
/// A throwaway PostgreSQL server for the tests that need one, started from the machine's binaries (Debian's
/// <c>postgresql</c> package, or the directory in <c>RELAY_TEST_POSTGRES_BIN</c>) on a free port of 127.0.0.1, with
/// its data in a temporary directory that is removed afterwards. Without the binaries it fails, saying how to get them:
/// a store test that cannot run must not pass.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string DebianBinaries = "/usr/lib/postgresql";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private string _binaries = "";
    private string _dataDirectory = "";
    private bool _started;
    private int _port;

    /// <summary>An Npgsql connection string to the test database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The server's major version, e.g. 15.</summary>
    public string Version { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _binaries = FindBinaries();
        Version = new DirectoryInfo(_binaries).Parent?.Name ?? "?";
        _dataDirectory = System.IO.Directory.CreateTempSubdirectory("relay-pg-").FullName;
        var port = _port = FreePort();

        // PostgreSQL refuses to run as root: as root (CI), run it as the package's postgres user.
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", "-R", "postgres", _dataDirectory);
        }

        await RunPostgresToolAsync("initdb", "-D", _dataDirectory, "-A", "trust", "-U", "relay", "-E", "UTF8");
        await StartAsync();

        var admin = $"Host=127.0.0.1;Port={port};Username=relay;Database=postgres;Timeout=30";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE DATABASE relay_inbox", connection);
            await command.ExecuteNonQueryAsync();
        }

        ConnectionString = $"Host=127.0.0.1;Port={port};Username=relay;Database=relay_inbox;Timeout=30";
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port with the same data.</summary>
    public async Task StartAsync()
    {
        await RunPostgresToolAsync(
            "pg_ctl", "-D", _dataDirectory, "-o", $"-p {_port} -k {_dataDirectory} -c listen_addresses=127.0.0.1",
            "-l", Path.Combine(_dataDirectory, "log"), "-w", "-t", "60", "start");
        _started = true;
    }

    /// <summary>Stops the server as a crash of the database would look to its clients: open connections are cut.</summary>
    public async Task StopAsync()
    {
        await RunPostgresToolAsync("pg_ctl", "-D", _dataDirectory, "-m", "immediate", "-w", "stop");
        _started = false;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started)
        {
            await RunPostgresToolAsync("pg_ctl", "-D", _dataDirectory, "-m", "immediate", "-w", "stop");
        }

        if (_dataDirectory.Length > 0)
        {
            System.IO.Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("RELAY_TEST_POSTGRES_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb"))
                ? configured
                : throw new InvalidOperationException($"RELAY_TEST_POSTGRES_BIN={configured} holds no initdb.");
        }

        var installed = System.IO.Directory.Exists(DebianBinaries)
            ? System.IO.Directory.GetDirectories(DebianBinaries)
                .Select(version => Path.Combine(version, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
                .OrderByDescending(bin => int.TryParse(new DirectoryInfo(bin).Parent!.Name, out var major) ? major : 0)
                .FirstOrDefault()
            : null;
        return installed ?? throw new InvalidOperationException(
            "The PostgreSQL store tests need a PostgreSQL server's binaries (15 or newer), and none were found under " +
            $"{DebianBinaries}/*/bin. Install them (Debian/Ubuntu: apt-get install -y postgresql; .ci/run does) or set " +
            "RELAY_TEST_POSTGRES_BIN to the directory that holds initdb and pg_ctl.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task RunPostgresToolAsync(string tool, params string[] arguments)
    {
        var path = Path.Combine(_binaries, tool);
        return Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {CommandTimeout}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
