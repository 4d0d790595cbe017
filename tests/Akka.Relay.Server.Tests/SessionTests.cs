using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §1 (several sessions per user), §4 (after a session closes) and §7 (closing): sessions of one
/// user are independent, and a user with no session left is "not online".
/// </summary>
public sealed class SessionTests : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan OfflineDeadline = TimeSpan.FromSeconds(10);
    private readonly RelayServer _server;

    public SessionTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    /// <summary>How a session goes away.</summary>
    public enum Ending
    {
        /// <summary>The client's close handshake.</summary>
        Close,

        /// <summary>The TCP connection is dropped without a close frame.</summary>
        Abort,
    }

    private static async Task EndAsync(TestClient client, Ending ending)
    {
        if (ending == Ending.Close)
        {
            await client.CloseAsync();
        }
        else
        {
            client.Socket.Abort();
        }
    }

    [Fact]
    public async Task Every_session_of_a_user_receives_what_is_sent_to_the_user()
    {
        var (u, s) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        var sessions = new List<TestClient>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                sessions.Add(await _server.ConnectAsync(u));
            }

            for (var round = 0; round < 3; round++)
            {
                var message = Wire.Send(u, "round " + round);
                await sender.SendTextAsync(message);
                foreach (var session in sessions)
                {
                    Wire.AssertStamped(message, await session.ReceiveTextAsync(), s);
                }

                Assert.Equal(Wire.SuccessSend(u), await sender.ReceiveTextAsync());
            }

            // Each of those sessions can also send, as the same user.
            for (var i = 0; i < sessions.Count; i++)
            {
                await Probe.RoundTripAsync(sessions[i], u, sender, s, "from device " + i);
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(Ending.Close, true)]
    [InlineData(Ending.Close, false)]
    [InlineData(Ending.Abort, true)]
    [InlineData(Ending.Abort, false)]
    public async Task Closing_one_session_keeps_the_other_sessions_of_the_user_receiving(Ending ending, bool closeTheOlder)
    {
        // The original Go server unregistered by user id: one session leaving removed the user,
        // so the other session silently stopped receiving (or was closed).
        var (u, s) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var older = await _server.ConnectAsync(u);
        await using var newer = await _server.ConnectAsync(u);
        var (leaving, staying) = closeTheOlder ? (older, newer) : (newer, older);

        await Probe.RoundTripAsync(sender, s, staying, u, "before");
        Wire.AssertStamped(Wire.Send(u, "before"), await leaving.ReceiveTextAsync(), s);
        var before = (await _server.GetHubStatsAsync()).Sessions;

        await EndAsync(leaving, ending);

        // Keep sending until the hub has dropped the session that left (at once after a close handshake,
        // when the read loop fails after an abort): the staying session gets every message meanwhile...
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        for (var i = 0; ; i++)
        {
            await Probe.RoundTripAsync(sender, s, staying, u, "after " + i);
            if ((await _server.GetHubStatsAsync()).Sessions < before)
            {
                break;
            }

            Assert.True(ending == Ending.Abort, "the session was still registered after its close handshake had completed");
            Assert.True(watch.Elapsed < OfflineDeadline, $"the aborted session was still registered after {watch.Elapsed}");
            await timer.WaitForNextTickAsync();
        }

        // ... and after.
        for (var i = 0; i < 20; i++)
        {
            await Probe.RoundTripAsync(sender, s, staying, u, "still " + i);
        }

        // The staying session can still send as well.
        await Probe.RoundTripAsync(staying, u, sender, s, "i am still here");
    }

    [Fact]
    public async Task After_a_close_handshake_the_user_is_not_online_at_once()
    {
        var (u, p) = (Ids.Next(), Ids.Next());
        await using var prober = await _server.ConnectAsync(p);
        await using var user = await _server.ConnectAsync(u);
        await Probe.RoundTripAsync(prober, p, user, u);

        await user.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");

        // docs/protocol.md §7: the server answered the close handshake with a close frame (echoing the code).
        var end = await user.ReceiveAsync();
        Assert.True(end.IsEnd && !end.Aborted, $"expected the server's close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, end.CloseStatus);
        Assert.Equal(WebSocketState.Closed, user.Socket.State);

        // docs/protocol.md §4: "not online" at once on the same node (the close handshake has completed).
        await Probe.AssertOfflineAsync(prober, u);
    }

    [Fact]
    public async Task When_the_last_of_several_sessions_closes_the_user_becomes_not_online()
    {
        var (u, p) = (Ids.Next(), Ids.Next());
        await using var prober = await _server.ConnectAsync(p);
        await using var first = await _server.ConnectAsync(u);
        await using var second = await _server.ConnectAsync(u);
        await using var third = await _server.ConnectAsync(u);

        await first.CloseAsync();
        await Probe.RoundTripAsync(prober, p, second, u, "two left");
        Wire.AssertStamped(Wire.Send(u, "two left"), await third.ReceiveTextAsync(), p);

        await AbortAndWaitUntilUnregisteredAsync(second);
        await Probe.RoundTripAsync(prober, p, third, u, "one left");

        await third.CloseAsync();
        await Probe.AssertOfflineAsync(prober, u);

        // And a new session of the same user is reachable again.
        await using var back = await _server.ConnectAsync(u);
        await Probe.RoundTripAsync(prober, p, back, u, "welcome back");
    }

    /// <summary>Drops <paramref name="client"/>'s TCP connection and waits until the hub holds one session less.</summary>
    private async Task AbortAndWaitUntilUnregisteredAsync(TestClient client)
    {
        var before = (await _server.GetHubStatsAsync()).Sessions;
        client.Socket.Abort();
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        while ((await _server.GetHubStatsAsync()).Sessions >= before)
        {
            Assert.True(watch.Elapsed < OfflineDeadline, $"the aborted session was still registered after {watch.Elapsed}");
            await timer.WaitForNextTickAsync();
        }
    }

    [Fact]
    public async Task An_id_spelled_with_leading_zeros_is_the_same_user()
    {
        // docs/protocol.md §1: "/ws/007" is accepted and means user 7.
        var (u, s) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var plain = await _server.ConnectAsync(u);
        await using var padded = await _server.ConnectAsync("000" + u.ToString(CultureInfo.InvariantCulture));

        var message = Wire.Send(u, "one user, two spellings");
        await sender.SendTextAsync(message);
        Wire.AssertStamped(message, await plain.ReceiveTextAsync(), s);
        Wire.AssertStamped(message, await padded.ReceiveTextAsync(), s);
        Assert.Equal(Wire.SuccessSend(u), await sender.ReceiveTextAsync());

        // What the padded session sends is stamped with the canonical id.
        await Probe.RoundTripAsync(padded, u, sender, s, "from the padded spelling");
    }

    [Fact]
    public async Task A_dropped_connection_is_unregistered()
    {
        var (u, p) = (Ids.Next(), Ids.Next());
        await using var prober = await _server.ConnectAsync(p);
        await using var user = await _server.ConnectAsync(u);
        await Probe.RoundTripAsync(prober, p, user, u);

        user.Socket.Abort();

        await Probe.UntilOfflineAsync(prober, u, OfflineDeadline);
    }

    [Fact]
    public async Task Sessions_of_a_user_that_never_closes_are_kept_while_others_come_and_go()
    {
        var (u, s) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var steady = await _server.ConnectAsync(u);

        for (var i = 0; i < 10; i++)
        {
            var transient = await _server.ConnectAsync(u);
            var message = Wire.Send(u, "cycle " + i);
            await sender.SendTextAsync(message);
            Wire.AssertStamped(message, await steady.ReceiveTextAsync(), s);
            Wire.AssertStamped(message, await transient.ReceiveTextAsync(), s);
            Assert.Equal(Wire.SuccessSend(u), await sender.ReceiveTextAsync());
            if (i % 2 == 0)
            {
                await transient.CloseAsync();
            }
            else
            {
                await AbortAndWaitUntilUnregisteredAsync(transient);
            }

            await transient.DisposeAsync();
        }

        // However the transient sessions went, the steady one still gets exactly one copy of each SEND.
        for (var i = 0; i < 10; i++)
        {
            await Probe.RoundTripAsync(sender, s, steady, u, "steady " + i);
        }
    }

    [Fact]
    public async Task Two_hundred_clients_connect_and_exchange_messages_at_once()
    {
        const int Pairs = 100;
        const int MessagesEachWay = 10;
        var ids = Enumerable.Range(0, 2 * Pairs).Select(_ => Ids.Next()).ToArray();

        var connecting = ids.Select(id => _server.ConnectAsync(id)).ToArray();
        TestClient[] clients;
        try
        {
            clients = await Task.WhenAll(connecting);
        }
        catch
        {
            foreach (var task in connecting.Where(t => t.IsCompletedSuccessfully))
            {
                await (await task).DisposeAsync();
            }

            throw;
        }

        try
        {
            // Every client sends to its partner and reads what its partner sends, all pairs at once.
            var exchanges = Enumerable.Range(0, 2 * Pairs).Select(async i =>
            {
                var partner = i ^ 1;
                var (me, them) = (ids[i], ids[partner]);
                for (var m = 0; m < MessagesEachWay; m++)
                {
                    await clients[i].SendTextAsync(Wire.Send(them, me.ToString(CultureInfo.InvariantCulture) + "#" + m));
                }

                // What arrives is my partner's messages in order, interleaved with my acks in order.
                var nextIn = 0;
                var acks = 0;
                while (nextIn < MessagesEachWay || acks < MessagesEachWay)
                {
                    var text = await clients[i].ReceiveTextAsync(TimeSpan.FromSeconds(30));
                    if (text == Wire.SuccessSend(them))
                    {
                        acks++;
                        continue;
                    }

                    Wire.AssertStamped(Wire.Send(me, them.ToString(CultureInfo.InvariantCulture) + "#" + nextIn), text, them);
                    nextIn++;
                }
            }).ToArray();
            await Task.WhenAll(exchanges);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }

        // All of them closed: none is left registered.
        await using var prober = await _server.ConnectAsync(Ids.Next());
        foreach (var id in ids.Where((_, i) => i % 20 == 0))
        {
            await Probe.AssertOfflineAsync(prober, id);
        }
    }

    [Fact]
    public async Task Many_sessions_of_one_user_connect_at_once_up_to_the_limit()
    {
        // The default limit is 8 sessions per user (docs/configuration.md).
        var (u, s) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        var sessions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _server.ConnectAsync(u)));
        try
        {
            var message = Wire.Send(u, "to all eight");
            await sender.SendTextAsync(message);
            foreach (var session in sessions)
            {
                Wire.AssertStamped(message, await session.ReceiveTextAsync(), s);
            }

            Assert.Equal(Wire.SuccessSend(u), await sender.ReceiveTextAsync());
            Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, await RelayServer.ExpectRefusedAsync(_server.WebSocketUri(u.ToString(CultureInfo.InvariantCulture))));
        }
        finally
        {
            await Task.WhenAll(sessions.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
