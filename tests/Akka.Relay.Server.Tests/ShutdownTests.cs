using System.Net;
using System.Net.WebSockets;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §1 and §7: on shutdown every session is closed with 1001 after the messages already in flight
/// to it are written, and new handshakes are refused with 503 while the node drains. These run the drain
/// all at once (<c>Relay:DrainSpread</c> 0); <see cref="DrainSpreadTests"/> covers the spread drain.
/// </summary>
public sealed class ShutdownTests
{
    private const int Burst = 1000; // below the default outbound queue of 1024: nobody is a slow consumer
    private static readonly string Padding = new('y', 380);

    private static string Message(ulong receiver, int seq) =>
        $$"""{"type":1,"receiver":{{receiver}},"seq":{{seq}},"content":"{{Padding}}"}""";

    private static void AssertGoingAway(Received end)
    {
        Assert.True(end.IsEnd, $"expected the close, got {end}");
        Assert.False(end.Aborted, $"expected a close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, end.CloseStatus);
    }

    [Fact]
    public async Task Every_session_gets_1001_after_the_messages_already_in_flight_to_it()
    {
        // Long close and drain timeouts: the receiver starts reading only after the stop has begun.
        await using var server = await RelayServer.StartAsync(("Relay:CloseTimeout", "00:00:30"), ("Relay:DrainTimeout", "00:00:30"), ("Relay:DrainSpread", "00:00:00"));
        var (s, r, i) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(s);
        // Does not read, and its TCP window is tiny: most of the burst is still queued in the server at the stop.
        await using var stalled = await server.ConnectStalledAsync(r);
        await using var reading = await server.ConnectAsync(r);
        await using var idle = await server.ConnectAsync(i);

        for (var k = 0; k < Burst; k++)
        {
            await sender.SendTextAsync(Message(r, k));
        }

        // Every message was routed to both sessions of r ("success send") before the stop.
        for (var k = 0; k < Burst; k++)
        {
            Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
        }

        var stop = server.StopAsync();

        // Each session gets everything it was sent, in order, and only then the 1001 close.
        foreach (var receiver in new[] { stalled, reading })
        {
            for (var k = 0; k < Burst; k++)
            {
                var received = await receiver.ReceiveAsync();
                Assert.False(received.IsEnd, $"the connection ended after {k} of {Burst} messages: {received}");
                Wire.AssertStamped(Message(r, k), received.Text!, s);
            }

            AssertGoingAway(await receiver.ReceiveAsync());
        }

        // Sessions with nothing in flight are closed with 1001 too (nothing else came first).
        AssertGoingAway(await sender.ReceiveAsync());
        AssertGoingAway(await idle.ReceiveAsync());

        await stop;
    }

    [Fact]
    public async Task While_draining_new_handshakes_are_refused_with_503()
    {
        // The drain waits for every session to finish its close handshake; a client that does not answer
        // the server's close keeps the drain window open (up to the close timeout).
        await using var server = await RelayServer.StartAsync(("Relay:CloseTimeout", "00:00:30"), ("Relay:DrainTimeout", "00:00:30"), ("Relay:DrainSpread", "00:00:00"));
        var (h, p, n) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var holder = await server.ConnectAsync(h);
        holder.AnswerClose = false;
        await using var peer = await server.ConnectAsync(p);
        await Probe.RoundTripAsync(peer, p, holder, h, "before the stop");

        var stop = server.StopAsync();

        // The drain has begun: the holder got its 1001 (and does not answer it).
        AssertGoingAway(await holder.ReceiveAsync());
        AssertGoingAway(await peer.ReceiveAsync());
        Assert.False(stop.IsCompleted, "the server stopped although a session had not finished its close handshake");

        // New sessions are refused before the upgrade, with a JSON reason.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await RelayServer.ExpectRefusedAsync(server.WebSocketUri(n.ToString())));
        var (status, contentType, body) = await server.RawUpgradeAsync("ws/" + n);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        RelayServer.AssertErrorBody(contentType, body);
        // Also for a user who still holds a (closing) session.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await RelayServer.ExpectRefusedAsync(server.WebSocketUri(h.ToString())));
        Assert.False(stop.IsCompleted, "the drain ended before the holder answered");

        // The holder finally answers the close: the drain ends and the server stops, long before the timeouts.
        using (var timeout = new CancellationTokenSource(TestClient.DefaultTimeout))
        {
            await holder.Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, string.Empty, timeout.Token);
        }

        await stop.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
