using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §6: a session whose bounded outbound queue overflows is closed with 1008 "slow consumer";
/// the sender, the hub and every other session carry on unaffected.
/// </summary>
public sealed class SlowConsumerTests
{
    /// <summary>A small outbound queue, so that a stalled client overflows it quickly.</summary>
    private const int Capacity = 16;

    /// <summary>
    /// Senders here keep fewer messages than <see cref="Capacity"/> unanswered, so that only the stalled client
    /// can ever have a full queue (their own acks and deliveries never pile up past it).
    /// </summary>
    private const int Window = 4;

    /// <summary>Upper bound on a flood: far more than socket buffers can hold.</summary>
    private const int MaxFlood = 200_000;

    private static readonly string Padding = new('x', 380);

    private readonly ITestOutputHelper _output;

    public SlowConsumerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    // A long close timeout: the stalled client reads only after it has been declared slow, and should
    // then still see the close frame rather than an abort.
    private static Task<RelayServer> StartAsync() => RelayServer.StartAsync(
        ("Relay:OutboundQueueCapacity", Capacity.ToString(CultureInfo.InvariantCulture)),
        ("Relay:CloseTimeout", "00:00:30"));

    private static string Flood(ulong receiver, int seq) =>
        $$"""{"type":1,"receiver":{{receiver}},"seq":{{seq}},"content":"{{Padding}}"}""";

    private static string FloodBroadcast(int seq) =>
        $$"""{"type":3,"seq":{{seq}},"content":"{{Padding}}"}""";

    /// <summary>
    /// Reads what a stalled client was sent before it was closed: a prefix of <paramref name="expected"/>
    /// (stamped by <paramref name="senderId"/>), in order, then the 1008 "slow consumer" close frame.
    /// Returns how many messages it got.
    /// </summary>
    private static async Task<int> AssertClosedAsSlowConsumerAsync(TestClient stalled, Func<int, string> expected, ulong senderId)
    {
        for (var k = 0; ; k++)
        {
            var received = await stalled.ReceiveAsync();
            if (received.IsEnd)
            {
                Assert.False(received.Aborted, $"expected the close frame, got {received} after {k} messages");
                Assert.Equal(WebSocketCloseStatus.PolicyViolation, received.CloseStatus);
                Assert.Equal("slow consumer", received.CloseDescription);
                return k;
            }

            Wire.AssertStamped(expected(k), received.Text!, senderId);
        }
    }

    /// <summary>
    /// Exchanges messages between two clients in small windows, both ways, checking every message arrives
    /// in order and every ack is "success send", until <paramref name="until"/> completes and at least
    /// <paramref name="minRounds"/> rounds are done. Returns the number of rounds.
    /// </summary>
    private static async Task<int> ExchangeAsync(TestClient a, ulong aId, TestClient b, ulong bId, Task until, int minRounds)
    {
        var rounds = 0;
        while (!until.IsCompleted || rounds < minRounds)
        {
            foreach (var (from, fromId, to, toId) in new[] { (a, aId, b, bId), (b, bId, a, aId) })
            {
                var batch = Enumerable.Range(0, Window).Select(i => Wire.Send(toId, $"r{rounds}-{i}")).ToList();
                foreach (var message in batch)
                {
                    await from.SendTextAsync(message);
                }

                foreach (var message in batch)
                {
                    Wire.AssertStamped(message, await to.ReceiveTextAsync(), fromId);
                }

                for (var i = 0; i < Window; i++)
                {
                    Assert.Equal(Wire.SuccessSend(toId), await from.ReceiveTextAsync());
                }
            }

            rounds++;
            Assert.True(rounds < MaxFlood, "the flood never ended");
        }

        return rounds;
    }

    [Fact]
    public async Task A_stalled_receiver_is_closed_with_1008_while_another_pair_is_unaffected()
    {
        await using var server = await StartAsync();
        var (f, v, a, b) = (Ids.Next(), Ids.Next(), Ids.Next(), Ids.Next());
        await using var flooder = await server.ConnectAsync(f);
        await using var victim = await server.ConnectStalledAsync(v);
        await using var alice = await server.ConnectAsync(a);
        await using var bob = await server.ConnectAsync(b);

        // The flooder sends to the stalled client in windows until the acks turn "not online": the
        // server closed and unregistered it. Once "not online", it stays so.
        var flood = Task.Run(async () =>
        {
            var seq = 0;
            var delivered = 0;
            while (true)
            {
                for (var i = 0; i < Window * 2; i++)
                {
                    await flooder.SendTextAsync(Flood(v, seq++));
                }

                var offline = false;
                for (var i = 0; i < Window * 2; i++)
                {
                    var ack = await flooder.ReceiveTextAsync();
                    if (!offline && ack == Wire.SuccessSend(v))
                    {
                        delivered++;
                        continue;
                    }

                    Assert.Equal(Wire.NotOnline(v), ack);
                    offline = true;
                }

                if (offline)
                {
                    return delivered;
                }

                Assert.True(seq < MaxFlood, $"the stalled client was never closed ({seq} messages sent)");
            }
        });

        // Meanwhile another pair talks, and keeps talking until the flood is over.
        var rounds = await ExchangeAsync(alice, a, bob, b, flood, minRounds: 50);
        var acked = await flood;
        Assert.True(rounds >= 50);
        Assert.True(acked > Capacity, $"only {acked} messages were acked before the stalled client was closed");

        // The stalled client, once it reads, gets what was written before the close, in order, then 1008.
        var got = await AssertClosedAsSlowConsumerAsync(victim, k => Flood(v, k), f);
        Assert.True(got < acked, $"the stalled client read {got} of {acked} messages: it was not really stalled");

        // The flooder itself was never closed, and everyone else carries on.
        await Probe.AssertOfflineAsync(flooder, v);
        await Probe.RoundTripAsync(flooder, f, alice, a, "after the flood");
        await Probe.RoundTripAsync(bob, b, flooder, f, "and back");
    }

    [Fact]
    public async Task A_stalled_receiver_is_closed_once_its_socket_stops_draining_long_before_the_memory_bound()
    {
        // A memory bound far above anything this test sends: only the stall rule (a queue over capacity whose
        // socket write has not finished for SlowConsumerTimeout) can close the stalled client.
        const long bound = 256L * 1024 * 1024;
        await using var server = await RelayServer.StartAsync(
            ("Relay:OutboundQueueCapacity", Capacity.ToString(CultureInfo.InvariantCulture)),
            ("Relay:OutboundQueueMaxBytes", bound.ToString(CultureInfo.InvariantCulture)),
            ("Relay:SlowConsumerTimeout", "00:00:01"),
            ("Relay:CloseTimeout", "00:00:30"));
        var (f, v) = (Ids.Next(), Ids.Next());
        await using var flooder = await server.ConnectAsync(f);
        await using var victim = await server.ConnectStalledAsync(v);

        var seq = 0;
        var accepted = 0L;
        var offline = false;
        while (!offline)
        {
            for (var i = 0; i < Window * 2; i++)
            {
                await flooder.SendTextAsync(Flood(v, seq++));
            }

            for (var i = 0; i < Window * 2; i++)
            {
                var ack = await flooder.ReceiveTextAsync();
                if (!offline && ack == Wire.SuccessSend(v))
                {
                    accepted += Flood(v, 0).Length;
                    continue;
                }

                Assert.Equal(Wire.NotOnline(v), ack);
                offline = true;
            }

            Assert.True(accepted < bound / 4, $"the stalled client was not closed before {accepted} bytes were queued for it");
        }

        var got = await AssertClosedAsSlowConsumerAsync(victim, k => Flood(v, k), f);
        Assert.True(got < seq);
        await Probe.AssertOfflineAsync(flooder, v);
    }

    [Theory]
    [InlineData("Relay:SlowConsumerTimeout", "00:00:00", "Relay:SlowConsumerTimeout")]
    [InlineData("Relay:OutboundQueueMaxBytes", "100", "Relay:OutboundQueueMaxBytes")]
    public async Task A_bad_slow_consumer_setting_stops_the_server_with_a_message_naming_it(string key, string value, string named)
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RelayServer.StartAsync((key, value)));
        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_stalled_session_of_a_user_is_closed_its_reading_session_gets_every_message()
    {
        await using var server = await StartAsync();
        var (f, u) = (Ids.Next(), Ids.Next());
        await using var flooder = await server.ConnectAsync(f);
        await using var stalled = await server.ConnectStalledAsync(u);
        await using var reading = await server.ConnectAsync(u);
        var before = (await server.GetHubStatsAsync()).Sessions;

        // Flood the user in windows until the hub holds one session less; the reading session must get
        // every message in order, and every ack is "success send" (the user always has a session).
        var seq = 0;
        while ((await server.GetHubStatsAsync()).Sessions == before)
        {
            var start = seq;
            for (var i = 0; i < Window * 2; i++)
            {
                await flooder.SendTextAsync(Flood(u, seq++));
            }

            for (var k = start; k < seq; k++)
            {
                Wire.AssertStamped(Flood(u, k), await reading.ReceiveTextAsync(), f);
                Assert.Equal(Wire.SuccessSend(u), await flooder.ReceiveTextAsync());
            }

            Assert.True(seq < MaxFlood, $"the stalled session was never closed ({seq} messages sent)");
        }

        Assert.Equal(before - 1, (await server.GetHubStatsAsync()).Sessions);
        var got = await AssertClosedAsSlowConsumerAsync(stalled, k => Flood(u, k), f);
        Assert.True(got < seq);

        for (var i = 0; i < 20; i++)
        {
            await Probe.RoundTripAsync(flooder, f, reading, u, "still yours " + i);
        }
    }

    [Fact]
    public async Task A_stalled_client_in_a_broadcast_flood_is_closed_and_everyone_else_gets_every_broadcast()
    {
        await using var server = await StartAsync();
        var (f, s, o) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var broadcaster = await server.ConnectAsync(f);
        await using var stalled = await server.ConnectStalledAsync(s);
        await using var other = await server.ConnectAsync(o);
        await using var broadcasterSibling = await server.ConnectAsync(f);
        var readers = new[] { broadcaster, other, broadcasterSibling };
        var before = (await server.GetHubStatsAsync()).Sessions;
        Assert.Equal(4, before);

        var seq = 0;
        var watch = Stopwatch.StartNew();
        while ((await server.GetHubStatsAsync()).Sessions == before)
        {
            var start = seq;
            for (var i = 0; i < Window; i++)
            {
                await broadcaster.SendTextAsync(FloodBroadcast(seq++));
            }

            foreach (var reader in readers)
            {
                for (var k = start; k < seq; k++)
                {
                    Wire.AssertStamped(FloodBroadcast(k), await reader.ReceiveTextAsync(), f);
                }
            }

            Assert.True(seq < MaxFlood, $"the stalled client was never closed ({seq} broadcasts sent after {watch.Elapsed})");
        }

        var got = await AssertClosedAsSlowConsumerAsync(stalled, FloodBroadcast, f);
        Assert.True(got < seq);
        await Probe.AssertOfflineAsync(broadcaster, s);
        await Probe.RoundTripAsync(broadcaster, f, other, o, "carry on");
        await Probe.RoundTripAsync(other, o, broadcasterSibling, f, "to both of f's sessions");
        Wire.AssertStamped(Wire.Send(f, "to both of f's sessions"), await broadcaster.ReceiveTextAsync(), o);
    }

    /// <summary>
    /// The server as its own process with its GC heap capped (<c>DOTNET_GCHeapHardLimit</c>): stalled receivers are
    /// flooded one after another until the messages accepted for them (acked "success send", i.e. queued) add up to
    /// several times that cap. A server that kept what it could not deliver would run out of memory; this one holds
    /// at most one outbound queue (capacity x message size) per stalled session and lets it go when the session closes.
    /// </summary>
    [Fact]
    public async Task Flooding_stalled_receivers_with_many_times_the_heap_limit_keeps_the_server_up_and_other_pairs_unaffected()
    {
        const long heapLimit = 64L * 1024 * 1024;
        const int capacity = 256;
        const int messageBytes = 16 * 1024;
        var content = new string('z', messageBytes - 100);
        await using var server = await ServerProcess.StartAsync(
            ("DOTNET_GCHeapHardLimit", "0x" + heapLimit.ToString("X", CultureInfo.InvariantCulture)),
            ("Relay__MaxMessageBytes", messageBytes.ToString(CultureInfo.InvariantCulture)),
            ("Relay__OutboundQueueCapacity", capacity.ToString(CultureInfo.InvariantCulture)),
            ("Relay__CloseTimeout", "00:00:02"));
        var (f, a, b) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var flooder = await TestClient.ConnectAsync(server.WebSocketUri(f), autoRead: true);
        await using var alice = await TestClient.ConnectAsync(server.WebSocketUri(a), autoRead: true);
        await using var bob = await TestClient.ConnectAsync(server.WebSocketUri(b), autoRead: true);
        var startRss = server.StatusKib("VmRSS");

        var flood = Task.Run(async () =>
        {
            long acceptedBytes = 0;
            var rounds = 0;
            var rss = new List<long>();
            while (acceptedBytes < 3 * heapLimit)
            {
                var v = Ids.Next();
                await using var stalled = await TestClient.ConnectAsync(server.WebSocketUri(v), autoRead: false, receiveBufferBytes: 4096);
                var offline = false;
                var sent = 0;
                while (!offline)
                {
                    for (var i = 0; i < Window * 2; i++)
                    {
                        await flooder.SendTextAsync($$"""{"type":1,"receiver":{{v}},"seq":{{sent++}},"content":"{{content}}"}""");
                    }

                    for (var i = 0; i < Window * 2; i++)
                    {
                        var ack = await flooder.ReceiveTextAsync();
                        if (!offline && ack == Wire.SuccessSend(v))
                        {
                            acceptedBytes += messageBytes;
                            continue;
                        }

                        Assert.Equal(Wire.NotOnline(v), ack);
                        offline = true;
                    }

                    Assert.True(sent < 100_000, "the stalled receiver was never closed");
                }

                // It was closed as a slow consumer: once it reads, it finds the 1008 after what was written.
                stalled.StartReading();
                var end = await stalled.ReceiveEndAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(WebSocketCloseStatus.PolicyViolation, end.CloseStatus);
                rounds++;
                rss.Add(server.StatusKib("VmRSS"));
                Assert.True(server.IsRunning, "the server died:\n" + server.Log);
            }

            return (acceptedBytes, rounds, rss);
        });

        var pairRounds = await ExchangeAsync(alice, a, bob, b, flood, minRounds: 20);
        var (accepted, floodRounds, samples) = await flood;

        _output.WriteLine($"GC heap limit {heapLimit / 1048576} MiB, queue {capacity} x {messageBytes / 1024} KiB per session");
        _output.WriteLine($"{floodRounds} stalled receivers flooded, {accepted / 1048576} MiB accepted for them; {pairRounds} rounds of the other pair meanwhile");
        _output.WriteLine($"server VmRSS at start {startRss / 1024} MiB, after each stalled receiver (MiB): {string.Join(" ", samples.Select(k => k / 1024))}; VmHWM {server.StatusKib("VmHWM") / 1024} MiB");
        Assert.True(server.IsRunning, "the server died:\n" + server.Log);
        Assert.True(accepted >= 3 * heapLimit);
        Assert.DoesNotContain("OutOfMemory", server.Log, StringComparison.Ordinal);
        await Probe.RoundTripAsync(flooder, f, alice, a, "after the flood");
        await Probe.RoundTripAsync(bob, b, flooder, f, "and back");
    }
}
