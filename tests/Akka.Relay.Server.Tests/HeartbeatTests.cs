using System.Diagnostics;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// Tests whose outcome depends on timers running on time (pong deadlines of a second): they run alone,
/// after the parallel tests, so a busy machine cannot make a healthy client miss its deadline.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "timing-sensitive";
}

/// <summary>
/// docs/protocol.md §5: the server pings, a client that answers survives, a client that does not is closed and
/// unregistered; a client's own pings are answered. Intervals are shortened through configuration.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class HeartbeatTests
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PongTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DropDeadline = TimeSpan.FromSeconds(20);

    private static Task<RelayServer> StartAsync() => RelayServer.StartAsync(
        ("Relay:PingInterval", "00:00:01"),
        ("Relay:PongTimeout", "00:00:01"));

    /// <summary>
    /// Connects a client that never reads (so never answers a ping), checks it is registered, and waits until the
    /// server has dropped it: SENDs to it answer "not online" and the client finds its connection ended.
    /// </summary>
    private static async Task AssertSilentClientIsDroppedAsync(RelayServer server, TestClient prober)
    {
        var silentId = Ids.Next();
        await using var silent = await server.ConnectWithoutReadingAsync(silentId);
        await prober.SendToAsync(silentId, "are you there?");
        Assert.Equal(Wire.SuccessSend(silentId), await prober.ReceiveTextAsync());

        await Probe.UntilOfflineAsync(prober, silentId, DropDeadline);

        // Once it reads, the silent client finds the connection gone (the server aborts it: no close frame).
        var end = await silent.ReceiveEndAsync();
        Assert.True(end.IsEnd);
    }

    /// <summary>
    /// Waits (at most <see cref="DropDeadline"/>) until only <paramref name="sessions"/> sessions are registered,
    /// checking meanwhile that <paramref name="reader"/> keeps receiving from <paramref name="peer"/>.
    /// </summary>
    private static async Task UntilSessionsLeftAsync(RelayServer server, int sessions, TestClient peer, ulong peerId, TestClient reader, ulong readerId)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        for (var i = 0; (await server.GetHubStatsAsync()).Sessions is var left && left > sessions; i++)
        {
            Assert.True(watch.Elapsed < DropDeadline, $"{left - sessions} silent sessions were still registered after {watch.Elapsed}");
            await Probe.RoundTripAsync(peer, peerId, reader, readerId, "meanwhile " + i);
            await timer.WaitForNextTickAsync();
        }
    }

    [Fact]
    public async Task A_client_that_reads_survives_many_ping_intervals_while_a_silent_one_is_dropped()
    {
        await using var server = await StartAsync();
        var (readerId, peerId, proberId, pingerId) = (Ids.Next(), Ids.Next(), Ids.Next(), Ids.Next());
        var watch = Stopwatch.StartNew();

        // Neither of these sends anything from now on: they only read (and so answer the server's pings).
        await using var reader = await server.ConnectAsync(readerId);
        await using var sibling = await server.ConnectAsync(readerId);

        // This one also pings the server itself and gives up on the connection when no Pong comes back in time.
        await using var pinger = await server.ConnectAsync(pingerId.ToString(), o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(250);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(2);
        });
        await using var peer = await server.ConnectAsync(peerId);
        await using var prober = await server.ConnectAsync(proberId);

        // Let time pass by something observable: silent clients being dropped, one after another,
        // until the readers have been idle for at least four ping intervals.
        var dropped = 0;
        while (watch.Elapsed < 4 * PingInterval + PongTimeout || dropped < 2)
        {
            await AssertSilentClientIsDroppedAsync(server, prober);
            dropped++;
            Assert.True(dropped < 20, "the loop should have ended long ago");
        }

        // The idle readers are still connected and registered: a round trip each way works.
        await Probe.RoundTripAsync(peer, peerId, reader, readerId, "still there?");
        Wire.AssertStamped(Wire.Send(readerId, "still there?"), await sibling.ReceiveTextAsync(), peerId);
        await Probe.RoundTripAsync(reader, readerId, peer, peerId, "yes");
        await Probe.RoundTripAsync(sibling, readerId, peer, peerId, "me too");
        await Probe.RoundTripAsync(peer, peerId, pinger, pingerId, "and you?");
        await Probe.RoundTripAsync(pinger, pingerId, peer, peerId, "yes, my pings were answered");
    }

    /// <summary>
    /// Each timer callback checks a slice of the sessions (five per tick with these settings): dozens of silent
    /// sessions span every slice, and every one of them is dropped while the reading ones stay.
    /// </summary>
    [Fact]
    public async Task Every_silent_session_is_dropped_whichever_slice_of_the_heartbeat_it_is_in()
    {
        await using var server = await StartAsync();
        var (peerId, readerId) = (Ids.Next(), Ids.Next());
        await using var peer = await server.ConnectAsync(peerId);
        await using var reader = await server.ConnectAsync(readerId);
        var silent = new List<TestClient>();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                silent.Add(await server.ConnectWithoutReadingAsync(Ids.Next()));
            }

            Assert.Equal(32, (await server.GetHubStatsAsync()).Sessions);
            await UntilSessionsLeftAsync(server, 2, peer, peerId, reader, readerId);

            foreach (var client in silent)
            {
                Assert.True((await client.ReceiveEndAsync()).IsEnd);
            }

            await Probe.RoundTripAsync(reader, readerId, peer, peerId, "still here");
        }
        finally
        {
            foreach (var client in silent)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_and_unregistered_while_its_other_session_stays()
    {
        await using var server = await StartAsync();
        var (userId, peerId) = (Ids.Next(), Ids.Next());
        await using var peer = await server.ConnectAsync(peerId);
        await using var reading = await server.ConnectAsync(userId);
        await using var stalled = await server.ConnectWithoutReadingAsync(userId);

        // Both sessions are registered.
        var message = Wire.Send(userId, "hello both");
        await peer.SendTextAsync(message);
        Wire.AssertStamped(message, await reading.ReceiveTextAsync(), peerId);
        Assert.Equal(Wire.SuccessSend(userId), await peer.ReceiveTextAsync());
        Assert.Equal(new Actors.Hub.HubStats(2, 3), await server.GetHubStatsAsync());

        // Wait until the non-reading session is dropped; the reading one keeps receiving meanwhile.
        await UntilSessionsLeftAsync(server, 2, peer, peerId, reading, userId);

        Assert.Equal(new Actors.Hub.HubStats(2, 2), await server.GetHubStatsAsync());
        var end = await stalled.ReceiveEndAsync();
        Assert.True(end.IsEnd);
        await Probe.RoundTripAsync(peer, peerId, reading, userId, "after");

        // Once the last session goes, the user is not online.
        await reading.CloseAsync();
        await Probe.AssertOfflineAsync(peer, userId);
    }
}
