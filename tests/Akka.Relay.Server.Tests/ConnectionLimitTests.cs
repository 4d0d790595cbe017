using System.Diagnostics;
using System.Net;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// Connection limits: a cap on this node's sessions (503 beyond it), and a handshake timeout so that
/// connections which never finish their upgrade request cannot pile up.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Sessions_beyond_the_node_limit_are_refused_with_503_and_a_slot_frees_when_a_session_ends()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxSessions", "3"), ("Relay:MaxSessionsPerUser", "8"));
        var (a, b, c) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var alice = await server.ConnectAsync(a);
        await using var bob = await server.ConnectAsync(b);
        var aliceAgain = await server.ConnectAsync(a);

        var refusedId = Ids.Next();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await RelayServer.ExpectRefusedAsync(server.WebSocketUri(refusedId.ToString())));
        var (status, contentType, body) = await server.RawUpgradeAsync("ws/" + c);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        RelayServer.AssertErrorBody(contentType, body);
        Assert.Contains("session limit", body, StringComparison.Ordinal);
        Assert.Equal(new Actors.Hub.HubStats(2, 3), await server.GetHubStatsAsync());
        await Probe.AssertOfflineAsync(alice, refusedId);

        // The slot comes back once the session's request has ended (just after its close handshake).
        await aliceAgain.CloseAsync();
        await aliceAgain.DisposeAsync();
        TestClient? carol = null;
        var watch = Stopwatch.StartNew();
        while (carol is null)
        {
            try
            {
                carol = await server.ConnectAsync(c);
            }
            catch (System.Net.WebSockets.WebSocketException) when (watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(Probe.PollInterval);
            }
        }

        await using (carol)
        {
            await Probe.RoundTripAsync(alice, a, carol, c);
            await Probe.RoundTripAsync(carol, c, bob, b);
        }
    }

    [Fact]
    public async Task A_bad_node_limit_setting_stops_the_server_at_start()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RelayServer.StartAsync(("Relay:MaxSessions", "-1")));
        Assert.Contains("Relay:MaxSessions", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Half_open_handshakes_are_dropped_after_the_handshake_timeout_while_sessions_live_on()
    {
        await using var server = await RelayServer.StartAsync(("Relay:HandshakeTimeout", "00:00:02"));
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await server.ConnectAsync(a);
        await using var bob = await server.ConnectAsync(b);

        // Connections that start an upgrade request and never finish it, and ones that send nothing.
        var partial = new List<RawWebSocket>();
        var silent = new List<RawWebSocket>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var raw = await RawWebSocket.ConnectTcpAsync(server.BaseUri);
            await raw.SendRawAsync(Encoding.ASCII.GetBytes($"GET /ws/{Ids.Next()} HTTP/1.1\r\nHost: {server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Up"));
            partial.Add(raw);
            silent.Add(await RawWebSocket.ConnectTcpAsync(server.BaseUri));
        }

        foreach (var raw in partial.Concat(silent))
        {
            Assert.True(await raw.WaitForDisconnectAsync(TimeSpan.FromSeconds(30)), "a half-open connection was never dropped");
            await raw.DisposeAsync();
        }

        // Kestrel checks its timeouts once a second: dropped after 2 s, well before its 30 s/130 s defaults.
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.5), $"dropped after only {watch.Elapsed}");

        // The sessions opened before, silent for longer than the handshake timeout, still work.
        await Probe.RoundTripAsync(alice, a, bob, b, "still here");
        await Probe.RoundTripAsync(bob, b, alice, a, "me too");
        Assert.Equal(new Actors.Hub.HubStats(2, 2), await server.GetHubStatsAsync());
    }
}
