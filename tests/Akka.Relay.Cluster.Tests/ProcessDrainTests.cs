using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// A single (unclustered) server process stopped with SIGTERM, as <c>docker stop</c> does: it turns unready, spreads
/// its sessions' 1001 closes over the drain period, and exits 0. Akka's own SIGTERM hook must not stop the actor
/// system first (it did: every session saw 1006).
/// </summary>
public sealed class ProcessDrainTests
{
    private const int Sessions = 8;

    [Fact]
    public async Task Sigterm_turns_the_node_unready_closes_every_session_with_1001_over_the_spread_and_exits_0()
    {
        await using var node = ServerProcess.Create(("Relay__DrainSpread", "00:00:02"), ("Relay__DrainTimeout", "00:00:20"));
        node.Start();
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < Sessions; i++)
            {
                clients.Add(await ProcessProbes.ConnectWhenUpAsync(node, Ids.Next(), TimeSpan.FromSeconds(60)));
            }

            await ProcessProbes.WaitForReadyAsync(node, TimeSpan.FromSeconds(60));

            var clock = Stopwatch.StartNew();
            var exit = node.TerminateAsync(TimeSpan.FromSeconds(60));
            var closing = clients.Select(async client =>
            {
                var end = await client.ReceiveEndAsync(TimeSpan.FromSeconds(30));
                return (End: end, At: clock.Elapsed);
            }).ToList();

            // While the drain runs (about two seconds) the node reports itself not ready.
            using (var timer = new PeriodicTimer(Probe.PollInterval))
            {
                while ((await node.GetJsonAsync("readyz")).Status != HttpStatusCode.ServiceUnavailable)
                {
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"/readyz never turned 503\n{node.Log}");
                    await timer.WaitForNextTickAsync();
                }
            }

            var ends = await Task.WhenAll(closing);

            foreach (var (end, _) in ends)
            {
                Assert.False(end.Aborted, $"a session was aborted, not closed with 1001: {end}\n{node.Log}");
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, end.CloseStatus);
            }

            var times = ends.Select(e => e.At).OrderBy(t => t).ToList();
            var report = string.Join(", ", times.Select(t => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms"));
            // Spread over 2 s, the last close comes about 1.75 s after the first; all at once, within a fraction of a second.
            Assert.True(times[^1] >= TimeSpan.FromSeconds(1), $"the closes were not spread over the 2 s period: {report}");
            Assert.Equal(0, await exit);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
