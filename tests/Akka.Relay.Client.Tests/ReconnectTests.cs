using System.Net;
using System.Net.WebSockets;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>The client comes back by itself after the server goes away, and stays away where a retry cannot help.</summary>
public sealed class ReconnectTests
{
    private static RelayClientOptions Quick() => new()
    {
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
    };

    [Fact]
    public async Task A_server_shutdown_is_1001_then_Reconnecting_then_Connected_to_the_new_server_on_the_same_port()
    {
        var first = await RelayServer.StartAsync(("Relay:DrainSpread", "00:00:00"));
        var port = first.BaseUri.Port;
        var (a, b) = (Ids.Next(), Ids.Next());
        var aliceStates = new StateLog();
        await using var alice = await RelayClient.ConnectAsync(first.BaseUri, a, Quick());
        aliceStates.Attach(alice);
        var bobStates = new StateLog();
        await using var bob = await RelayClient.ConnectAsync(first.BaseUri, b, Quick());
        bobStates.Attach(bob);
        var bobReads = MessageCollector.Start(bob);

        await first.DisposeAsync();
        var down = await aliceStates.WaitForAsync(s => s.State == RelayConnectionState.Reconnecting);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, down.CloseStatus);
        Assert.Equal("server shutting down", down.CloseReason);

        // Made while no server listens: it waits for the next session and is written there.
        var duringOutage = alice.SendAsync(b, "sent while down");

        await using var second = await RelayServer.StartAsync(("urls", $"http://127.0.0.1:{port}"));
        Assert.Equal(port, second.BaseUri.Port);
        await aliceStates.WaitForAsync(s => s.State == RelayConnectionState.Connected);
        var outageAnswer = await duringOutage.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains(outageAnswer.Outcome, new[] { SendOutcome.Delivered, SendOutcome.NotOnline });

        // Both are back on the new server: a SEND between them is delivered.
        await bobStates.WaitForAsync(s => s.State == RelayConnectionState.Connected);
        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "after the restart").WaitAsync(TimeSpan.FromSeconds(60)));
        await bobReads.WaitUntilAsync(m => m.Any(x => x.Content == "after the restart"));
        Assert.Equal(
            [RelayConnectionState.Reconnecting, RelayConnectionState.Connected],
            aliceStates.Changes.Select(c => c.State).Distinct());
    }

    [Fact]
    public async Task A_send_cancelled_while_the_connection_is_down_is_never_written_and_later_answers_stay_in_step()
    {
        await using var server = await RelayServer.StartAsync();
        await using var proxy = new ChaosProxy(server.BaseUri);
        var (a, b, offline) = (Ids.Next(), Ids.Next(), Ids.Next());
        var states = new StateLog();
        await using var alice = await RelayClient.ConnectAsync(proxy.Uri, a, Quick());
        states.Attach(alice);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);
        var bobReads = MessageCollector.Start(bob);

        proxy.Refusing = true;
        proxy.CutAll();
        await states.WaitForAsync(s => s.State == RelayConnectionState.Reconnecting);

        using var cancel = new CancellationTokenSource();
        var cancelled = alice.SendAsync(b, "cancelled", cancel.Token);
        var kept = alice.SendAsync(offline, "kept");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        proxy.Refusing = false;
        Assert.Equal(SendResult.NotOnline, await kept.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "after").WaitAsync(TimeSpan.FromSeconds(60)));
        await bobReads.WaitUntilAsync(m => m.Any(x => x.Content == "after"));
        Assert.DoesNotContain(bobReads.Snapshot(), m => m.Content == "cancelled");
    }

    [Fact]
    public async Task A_refused_first_connect_throws_with_the_status_403_and_429()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:AllowedOrigins:0", "http://good.example"), ("Relay:MaxSessionsPerUser", "1"));
        var u = Ids.Next();

        var foreign = await Assert.ThrowsAsync<RelayHandshakeException>(() => RelayClient.ConnectAsync(server.BaseUri, u, new RelayClientOptions
        {
            ConfigureWebSocket = o => o.SetRequestHeader("Origin", "http://evil.example"),
        }));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.Status);

        await using var holder = await RelayClient.ConnectAsync(server.BaseUri, u);
        var second = await Assert.ThrowsAsync<RelayHandshakeException>(() => RelayClient.ConnectAsync(server.BaseUri, u));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.Status);
        Assert.Equal(RelayConnectionState.Connected, holder.State);
    }

    [Fact]
    public async Task A_429_on_reconnect_closes_the_client_instead_of_retrying()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxSessionsPerUser", "1"));
        await using var proxy = new ChaosProxy(server.BaseUri);
        var u = Ids.Next();
        var states = new StateLog();
        await using var client = await RelayClient.ConnectAsync(proxy.Uri, u, Quick());
        states.Attach(client);

        // The client loses its connection and cannot get back for now...
        proxy.Refusing = true;
        proxy.CutAll();
        await states.WaitForAsync(s => s.State == RelayConnectionState.Reconnecting);

        // ...while another device of the same user takes the only session (once the server has seen the drop).
        TestClient? other = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (other is null)
        {
            try
            {
                other = await server.ConnectAsync(u.ToString());
            }
            catch (WebSocketException) when (DateTime.UtcNow < deadline)
            {
                // 429 until the server has unregistered the cut session.
            }
        }

        await using var holder = other;
        proxy.Refusing = false;

        var closed = await states.WaitForAsync(s => s.State == RelayConnectionState.Closed);
        Assert.Equal(HttpStatusCode.TooManyRequests, closed.HandshakeStatus);
        Assert.Equal(SendOutcome.Error, (await client.SendAsync(Ids.Next(), "x")).Outcome);
    }
}
