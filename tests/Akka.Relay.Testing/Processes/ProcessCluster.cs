using System.Globalization;

namespace Akka.Relay.Testing.Processes;

/// <summary>
/// Real server processes (<see cref="ServerProcess"/>) forming one cluster, set up as docs/cluster.md tells operators:
/// every node lists all the first nodes, itself included, in the same order, as its seed nodes, and
/// <c>Relay:Cluster:MinMembers</c> is a majority of them; each node has free loopback ports. A node is killed
/// (<see cref="ServerProcess.KillAsync"/>), stopped (<see cref="ServerProcess.TerminateAsync"/>) and restarted with the
/// same settings and ports (<see cref="ServerProcess.Start"/>) through <see cref="Node"/>; <see cref="AddNode"/> adds one.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>How long the start waits for each node to see every member Up (generous: the nodes start at once on a shared box).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly List<ServerProcess> _nodes = new();
    private readonly (string Key, string Value)[] _clusterSettings;
    private readonly (string Key, string Value)[] _settings;

    private ProcessCluster((string Key, string Value)[] clusterSettings, (string Key, string Value)[] settings)
    {
        _clusterSettings = clusterSettings;
        _settings = settings;
    }

    /// <summary>Every node started so far, in start order (the first ones are the seed nodes).</summary>
    public IReadOnlyList<ServerProcess> Nodes => _nodes;

    /// <summary>
    /// Starts <paramref name="nodes"/> clustered server processes with <paramref name="settings"/> (environment
    /// settings, applied last so they may override the cluster's) and waits until each one is ready and sees all of
    /// them Up.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(int nodes, params (string Key, string Value)[] settings)
    {
        var ports = Enumerable.Range(0, nodes).Select(_ => ServerProcess.FreePort()).ToArray();
        (string Key, string Value)[] clusterSettings =
        [
            ("Relay__Cluster__Enabled", "true"),
            ("Relay__Cluster__MinMembers", (nodes / 2 + 1).ToString(CultureInfo.InvariantCulture)),
            // The embedded SQLite inbox store refuses a cluster; the inbox is not what these tests exercise.
            ("Relay__Inbox__Enabled", "false"),
            .. ports.Select((port, i) => ($"Relay__Cluster__SeedNodes__{i}", $"akka.tcp://relay@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}")),
        ];
        var cluster = new ProcessCluster(clusterSettings, settings);
        try
        {
            foreach (var port in ports)
            {
                cluster.Create(port).Start();
            }

            foreach (var node in cluster._nodes)
            {
                await node.WaitUntilListeningAsync(StartTimeout);
                await ProcessProbes.WaitForMembersUpAsync(node, nodes, StartTimeout);
            }
        }
        catch
        {
            // Nothing may be left running behind a failed start.
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>The node at <paramref name="index"/> in start order (0 is the first seed node).</summary>
    public ServerProcess Node(int index) => _nodes[index];

    /// <summary>
    /// Starts one more node on fresh ports with the cluster's settings (its seed nodes are the first nodes), as an
    /// operator adds a node to a running cluster; it does not wait for it. It is disposed with the cluster.
    /// </summary>
    public ServerProcess AddNode()
    {
        var node = Create(ServerProcess.FreePort());
        node.Start();
        return node;
    }

    /// <summary>Waits until every node that is still running is ready and sees <paramref name="expected"/> members Up.</summary>
    public async Task WaitForMembersUpAsync(int expected, TimeSpan timeout)
    {
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            await ProcessProbes.WaitForMembersUpAsync(node, expected, timeout);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The last started first, so the first seed node goes last.
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].DisposeAsync();
        }
    }

    private ServerProcess Create(int clusterPort)
    {
        var node = ServerProcess.Create(
        [
            .. _clusterSettings,
            ("Relay__Cluster__Port", clusterPort.ToString(CultureInfo.InvariantCulture)),
            .. _settings,
        ]);
        _nodes.Add(node);
        return node;
    }
}
