using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// <c>/metrics</c>: the relay's counters, scraped over HTTP the way Prometheus does, move by exactly what real
/// clients did over real sockets; the .NET runtime and ASP.NET Core meters are exported too. Each server has
/// its own meter, so tests running side by side in this process never see each other's numbers.
/// </summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    /// <summary>Scrapes until <paramref name="ready"/> holds (values that follow a socket's end arrive a moment after it).</summary>
    internal static async Task<MetricsScrape> ScrapeUntilAsync(HttpClient http, Func<MetricsScrape, bool> ready, string what)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        while (true)
        {
            var scrape = await MetricsScrape.TakeAsync(http);
            if (ready(scrape))
            {
                return scrape;
            }

            Assert.True(watch.Elapsed < Settle, $"{what} not seen within {Settle}:\n{scrape.Text}");
            await timer.WaitForNextTickAsync();
        }
    }

    private static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    [Fact]
    public async Task Relay_counters_move_by_exactly_what_the_clients_did()
    {
        await using var server = await RelayServer.StartAsync();
        using var http = server.CreateHttpClient();
        var before = await MetricsScrape.TakeAsync(http);
        var (a, b, nobody) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var alice = await server.ConnectAsync(a);
        await using var bob = await server.ConnectAsync(b);
        var sent = 0;
        var received = 0;

        // Three SENDs: two reach bob, the third is for a user who is not online.
        foreach (var content in new[] { "one", "two" })
        {
            var message = Wire.Send(b, content);
            await alice.SendTextAsync(message);
            var relayed = await bob.ReceiveTextAsync();
            Wire.AssertStamped(message, relayed, a);
            var ack = await alice.ReceiveTextAsync();
            Assert.Equal(Wire.SuccessSend(b), ack);
            (sent, received) = (sent + Bytes(message), received + Bytes(relayed) + Bytes(ack));
        }

        var lost = Wire.Send(nobody, "three");
        await alice.SendTextAsync(lost);
        var notOnline = await alice.ReceiveTextAsync();
        Assert.Equal(Wire.NotOnline(nobody), notOnline);
        (sent, received) = (sent + Bytes(lost), received + Bytes(notOnline));

        // One message the server refuses, and one broadcast, which reaches both sessions.
        const string garbage = "not json";
        await alice.SendTextAsync(garbage);
        var error = await alice.ReceiveTextAsync();
        Assert.Equal("invalid JSON", Wire.AssertErrorReply(error, a));
        const string broadcast = """{"type":3,"content":"hello all"}""";
        await bob.SendTextAsync(broadcast);
        var toAlice = await alice.ReceiveTextAsync();
        var toBob = await bob.ReceiveTextAsync();
        (sent, received) = (sent + Bytes(garbage) + Bytes(broadcast), received + Bytes(error) + Bytes(toAlice) + Bytes(toBob));

        // A message over the 512-byte limit closes its session with 1009, a binary frame with 1003.
        var oversize = new string('x', 600);
        await using (var big = await server.ConnectAsync(Ids.Next()))
        {
            await big.SendTextAsync(oversize);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await big.ReceiveEndAsync()).CloseStatus);
        }

        var binary = new byte[] { 1, 2, 3 };
        await using (var raw = await server.ConnectAsync(Ids.Next()))
        {
            await raw.SendBytesAsync(binary, WebSocketMessageType.Binary);
            Assert.Equal(WebSocketCloseStatus.InvalidMessageType, (await raw.ReceiveEndAsync()).CloseStatus);
        }

        sent += oversize.Length + binary.Length;

        // Session ends are counted when the session actor stops, bytes out once the write has completed:
        // both a moment after the client saw them.
        var after = await ScrapeUntilAsync(
            http,
            s => s.Delta(before, "relay_sessions_closed_total") >= 2 && s.Delta(before, "relay_sent_bytes_total") >= received,
            "the two closes and every byte written");

        Assert.Equal(3, after.Delta(before, "relay_messages_received_total", ("type", "send")));
        Assert.Equal(1, after.Delta(before, "relay_messages_received_total", ("type", "broadcast")));
        Assert.Equal(1, after.Delta(before, "relay_messages_received_total", ("type", "rejected")));
        Assert.Equal(2, after.Delta(before, "relay_acks_total", ("result", "success_send")));
        Assert.Equal(1, after.Delta(before, "relay_acks_total", ("result", "not_online")));
        Assert.Equal(1, after.Delta(before, "relay_error_replies_total", ("reason", "invalid_json")));
        Assert.Equal(1, after.Delta(before, "relay_error_replies_total"));
        Assert.Equal(2, after.Delta(before, "relay_messages_sent_total", ("type", "send")));
        Assert.Equal(2, after.Delta(before, "relay_messages_sent_total", ("type", "broadcast")));
        Assert.Equal(4, after.Delta(before, "relay_messages_sent_total", ("type", "system")));
        Assert.Equal(4, after.Delta(before, "relay_sessions_opened_total"));
        Assert.Equal(1, after.Delta(before, "relay_sessions_closed_total", ("code", "1009"), ("cause", "message_too_big")));
        Assert.Equal(1, after.Delta(before, "relay_sessions_closed_total", ("code", "1003"), ("cause", "binary_frame")));
        Assert.Equal(2, after.Delta(before, "relay_sessions_closed_total"));
        Assert.Equal(sent, after.Delta(before, "relay_received_bytes_total"));
        Assert.Equal(received, after.Delta(before, "relay_sent_bytes_total"));
        Assert.Equal(2, after.Value("relay_sessions_open"));
        Assert.Equal(2, after.Value("relay_users_online"));

        // A client's own close is counted with its code.
        await alice.CloseAsync();
        var closed = await ScrapeUntilAsync(http, s => s.Value("relay_sessions_open") == 1, "one session left");
        await ScrapeUntilAsync(http, s => s.Delta(before, "relay_sessions_closed_total", ("cause", "client_close")) == 1, "alice's close counted");
        Assert.Equal(1, closed.Value("relay_users_online"));
    }

    [Fact]
    public async Task Outbound_queue_depth_shows_what_waits_for_a_stalled_client_and_drains_when_it_reads()
    {
        // Large messages, so the burst (about 8 MB) is more than the kernel's socket buffers can hold (4 MB at most).
        await using var server = await RelayServer.StartAsync(("Relay:MaxMessageBytes", "16384"));
        using var http = server.CreateHttpClient();
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(s);
        // Does not read, and its TCP window is tiny: what the server writes to it backs up in its outbound queue.
        await using var stalled = await server.ConnectStalledAsync(r);
        const int Burst = 500; // below the queue capacity of 1024: nobody is closed as a slow consumer
        var padding = new string('q', 16000);
        for (var k = 0; k < Burst; k++)
        {
            await sender.SendTextAsync($$"""{"type":1,"receiver":{{r}},"seq":{{k}},"content":"{{padding}}"}""");
        }

        for (var k = 0; k < Burst; k++)
        {
            Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
        }

        var backedUp = await ScrapeUntilAsync(http, m => m.Value("relay_outbound_queued") > 0, "a backed-up queue");
        Assert.InRange(backedUp.Value("relay_outbound_queue_max"), 1, 1024);
        Assert.True(backedUp.Value("relay_outbound_queued") >= backedUp.Value("relay_outbound_queue_max"));

        // Once the client reads everything, nothing waits any more.
        for (var k = 0; k < Burst; k++)
        {
            Assert.False((await stalled.ReceiveAsync()).IsEnd);
        }

        var drained = await ScrapeUntilAsync(http, m => m.Value("relay_outbound_queued") == 0, "the queue drained");
        Assert.Equal(0, drained.Value("relay_outbound_queue_max"));
    }

    [Fact]
    public async Task A_slow_consumer_close_is_counted_as_1008()
    {
        await using var server = await RelayServer.StartAsync(("Relay:OutboundQueueCapacity", "32"));
        using var http = server.CreateHttpClient();
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(s);
        await using var stalled = await server.ConnectStalledAsync(r);
        var padding = new string('q', 380);

        // Send in windows until the stalled receiver is closed and unregistered ("not online").
        var offline = false;
        for (var round = 0; !offline; round++)
        {
            Assert.True(round < 500, "the stalled client was never closed");
            for (var k = 0; k < 32; k++)
            {
                await sender.SendTextAsync($$"""{"type":1,"receiver":{{r}},"content":"{{padding}}"}""");
            }

            for (var k = 0; k < 32; k++)
            {
                offline |= await sender.ReceiveTextAsync() == Wire.NotOnline(r);
            }
        }

        var after = await ScrapeUntilAsync(http, m => m.Value("relay_sessions_closed_total", ("code", "1008"), ("cause", "slow_consumer")) == 1, "the slow consumer's close");
        Assert.Equal(1, after.Value("relay_sessions_closed_total"));
    }

    [Fact]
    public async Task Each_server_exports_only_its_own_relay_numbers()
    {
        await using var busy = await RelayServer.StartAsync();
        await using var idle = await RelayServer.StartAsync();
        using var busyHttp = busy.CreateHttpClient();
        using var idleHttp = idle.CreateHttpClient();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await busy.ConnectAsync(a);
        await using var bob = await busy.ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b);

        var busyScrape = await MetricsScrape.TakeAsync(busyHttp);
        var idleScrape = await MetricsScrape.TakeAsync(idleHttp);

        Assert.Equal(1, busyScrape.Value("relay_messages_received_total", ("type", "send")));
        Assert.Equal(2, busyScrape.Value("relay_sessions_open"));
        Assert.Equal(0, idleScrape.Value("relay_messages_received_total"));
        Assert.Equal(0, idleScrape.Value("relay_sessions_opened_total"));
        Assert.Equal(0, idleScrape.Value("relay_sessions_open"));
    }

    [Fact]
    public async Task Runtime_and_aspnetcore_meters_are_exported_too()
    {
        await using var server = await RelayServer.StartAsync();
        using var http = server.CreateHttpClient();
        using (var health = await http.GetAsync("healthz"))
        {
            Assert.True(health.IsSuccessStatusCode);
        }

        var scrape = await ScrapeUntilAsync(http, m => m.Value("http_server_request_duration_seconds_count", ("http_route", "/healthz")) >= 1, "the /healthz request");

        Assert.True(scrape.Has("dotnet_process_cpu_count"), "no System.Runtime metrics");
        Assert.True(scrape.Has("dotnet_gc_heap_total_allocated_bytes_total"), "no GC metrics");
        Assert.True(scrape.Has("kestrel_active_connections"), "no Kestrel metrics");
        Assert.Contains("# TYPE relay_sessions_open gauge", scrape.Text, StringComparison.Ordinal);
    }
}

/// <summary>A session dropped for a missing Pong is counted as a heartbeat timeout (pong deadlines of a second: run alone).</summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class HeartbeatMetricsTests
{
    [Fact]
    public async Task A_heartbeat_timeout_is_counted_as_1006()
    {
        await using var server = await RelayServer.StartAsync(("Relay:PingInterval", "00:00:01"), ("Relay:PongTimeout", "00:00:01"));
        using var http = server.CreateHttpClient();
        var (p, silentId) = (Ids.Next(), Ids.Next());
        await using var prober = await server.ConnectAsync(p);
        await using var silent = await server.ConnectWithoutReadingAsync(silentId);
        await prober.SendToAsync(silentId, "are you there?");
        Assert.Equal(Wire.SuccessSend(silentId), await prober.ReceiveTextAsync());

        await Probe.UntilOfflineAsync(prober, silentId, TimeSpan.FromSeconds(20));

        var after = await MetricsTests.ScrapeUntilAsync(http, m => m.Value("relay_sessions_closed_total") >= 1, "the dropped session");
        Assert.Equal(1, after.Value("relay_sessions_closed_total", ("code", "1006"), ("cause", "heartbeat_timeout")));
        Assert.Equal(1, after.Value("relay_sessions_closed_total"));
    }
}
