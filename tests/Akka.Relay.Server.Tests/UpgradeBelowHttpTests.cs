using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// A connection's first request, when it is a WebSocket upgrade to <c>/ws/{id}</c>, is taken below HTTP: no upgraded
/// HTTP request stays behind the session (Kestrel counts none), while a later upgrade on a kept-alive connection, and
/// everything that is not such an upgrade, goes through ASP.NET as before.
/// </summary>
public sealed class UpgradeBelowHttpTests : IClassFixture<ServerFixture>
{
    // Kestrel's gauge of connections upgraded from an HTTP request (kestrel.upgraded_connections).
    private const string UpgradedConnections = "kestrel_upgraded_connections";

    private readonly RelayServer _server;

    public UpgradeBelowHttpTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    [Fact]
    public async Task A_first_request_upgrade_keeps_no_HTTP_request_and_a_later_one_on_a_kept_alive_connection_goes_through_ASP_NET()
    {
        using var http = _server.CreateHttpClient();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        await using var bob = await _server.ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b);
        var held = await MetricsScrape.TakeAsync(http);
        Assert.Equal(0, held.Value(UpgradedConnections));

        // A plain request first, then an upgrade on the same connection: ASP.NET's endpoint answers it.
        var c = Ids.Next();
        await using var kept = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        await kept.SendRawAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {_server.BaseUri.Authority}\r\n\r\n"));
        var (health, _) = await kept.ReadHttpResponseAsync();
        Assert.StartsWith("HTTP/1.1 200", health, StringComparison.Ordinal);
        await kept.SendRawAsync(UpgradeRequest($"/ws/{c}"));
        var upgraded = await kept.ReadHttpHeaderAsync();
        Assert.StartsWith("HTTP/1.1 101", upgraded, StringComparison.Ordinal);

        await kept.SendFrameAsync(Opcode.Text, Encoding.UTF8.GetBytes(Wire.Send(a, "over a kept-alive connection")));
        Assert.Equal(Wire.SuccessSend(a), await TextOfAsync(kept));
        Assert.Contains("over a kept-alive connection", await alice.ReceiveTextAsync(), StringComparison.Ordinal);
        var after = await MetricsScrape.TakeAsync(http);
        Assert.Equal(1, after.Value(UpgradedConnections));
    }

    [Fact]
    public async Task A_head_sent_a_byte_at_a_time_is_still_an_upgrade()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        await using var raw = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        foreach (var one in UpgradeRequest($"/ws/{b}"))
        {
            await raw.SendRawAsync([one]);
        }

        Assert.StartsWith("HTTP/1.1 101", await raw.ReadHttpHeaderAsync(), StringComparison.Ordinal);
        await raw.SendFrameAsync(Opcode.Text, Encoding.UTF8.GetBytes(Wire.Send(a, "split head")));
        Assert.Equal(Wire.SuccessSend(a), await TextOfAsync(raw));
        Assert.Contains("split head", await alice.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frames_sent_right_behind_the_head_reach_the_session()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        await using var raw = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        var frames = raw.EncodeFrame(Opcode.Text, Encoding.UTF8.GetBytes(Wire.Send(a, "first")))
            .Concat(raw.EncodeFrame(Opcode.Text, Encoding.UTF8.GetBytes(Wire.Send(a, "second"))));
        await raw.SendRawAsync([.. UpgradeRequest($"/ws/{b}"), .. frames]);

        Assert.StartsWith("HTTP/1.1 101", await raw.ReadHttpHeaderAsync(), StringComparison.Ordinal);
        Assert.Equal(Wire.SuccessSend(a), await TextOfAsync(raw));
        Assert.Equal(Wire.SuccessSend(a), await TextOfAsync(raw));
        Assert.Contains("first", await alice.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("second", await alice.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_upgrade_is_answered_with_its_status_and_JSON_body_and_the_connection_closes()
    {
        var userId = Ids.Next();
        await using var raw = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        await raw.SendRawAsync(Encoding.ASCII.GetBytes(
            $"GET /ws/{userId} HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key()}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var (header, body) = await raw.ReadHttpResponseAsync();

        Assert.StartsWith("HTTP/1.1 400", header, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: application/json", header, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("HTTP/1.1", body, StringComparison.Ordinal);
        Assert.True(await raw.WaitForDisconnectAsync(TestClient.DefaultTimeout), "the connection stayed open after the refusal");
    }

    [Fact]
    public async Task A_key_that_is_not_24_characters_of_base64_is_refused_with_400_and_the_relay_keeps_serving()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        // 16 bytes once the whitespace Convert.FromBase64String skips is dropped, but RFC 6455's key is exactly the
        // 24 characters of their base64, and this one is 224 long.
        var padded = string.Join(new string(' ', 40), Key().Chunk(4).Select(c => new string(c)));
        var request = Encoding.ASCII.GetBytes(
            $"GET /ws/{b} HTTP/1.1\r\nHost: {_server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {padded}\r\nSec-WebSocket-Version: 13\r\n\r\n");

        // As a connection's first request (below HTTP), and after another request on a kept-alive one (ASP.NET's).
        await using var raw = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        await raw.SendRawAsync(request);
        var (header, body) = await raw.ReadHttpResponseAsync();
        Assert.StartsWith("HTTP/1.1 400", header, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Key", body, StringComparison.Ordinal);

        await using var kept = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        await kept.SendRawAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {_server.BaseUri.Authority}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200", (await kept.ReadHttpResponseAsync()).Header, StringComparison.Ordinal);
        await kept.SendRawAsync(request);
        Assert.StartsWith("HTTP/1.1 400", (await kept.ReadHttpResponseAsync()).Header, StringComparison.Ordinal);

        await using var bob = await _server.ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b, "after the refused key");
    }

    [Fact]
    public async Task A_GET_of_a_session_path_without_an_upgrade_is_answered_as_before()
    {
        using var http = _server.CreateHttpClient();
        using var response = await http.GetAsync($"ws/{Ids.Next()}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        RelayServer.AssertErrorBody(response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        Assert.Contains("Upgrade: websocket", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_upgrade_head_is_refused_by_Kestrel_with_431()
    {
        await using var raw = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        var filler = new string('x', 40 * 1024);
        await raw.SendRawAsync(Encoding.ASCII.GetBytes(
            $"GET /ws/{Ids.Next()} HTTP/1.1\r\nHost: {_server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Filler: {filler}\r\n\r\n"));

        Assert.StartsWith("HTTP/1.1 431", await raw.ReadHttpHeaderAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, "true", true)]
    [InlineData("false", "true", false)]
    [InlineData("false", null, false)]
    [InlineData("true", null, true)]
    public void Unset_it_is_on_for_a_single_node_and_in_a_cluster(string? setting, string? clustered, bool expected)
    {
        // As appsettings.json has it: ASP.NET's request lines are not logged.
        var values = new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning" };
        if (setting is not null)
        {
            values["Relay:UpgradeBelowHttp"] = setting;
        }

        if (clustered is not null)
        {
            values["Relay:Cluster:Enabled"] = clustered;
        }

        var configuration = Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(), values).Build();

        Assert.Equal(expected, Akka.Relay.Server.WebSockets.UpgradeBelowHttp.IsEnabled(configuration));
    }

    [Fact]
    public async Task Turned_off_a_first_request_upgrade_goes_through_ASP_NET()
    {
        await using var server = await RelayServer.StartAsync(("Relay:UpgradeBelowHttp", "false"));
        using var http = server.CreateHttpClient();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await server.ConnectAsync(a);
        await using var bob = await server.ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b);

        Assert.Equal(2, (await MetricsScrape.TakeAsync(http)).Value(UpgradedConnections));
    }

    [Fact]
    public async Task With_every_other_category_at_Debug_a_query_token_appears_in_no_line()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await RelayServer.StartAsync(
            sink,
            ("Relay:Auth:SigningKey", TestTokens.Key),
            ("Logging:LogLevel:Default", "Debug"),
            ("Logging:LogLevel:Microsoft.AspNetCore", "Debug"),
            ("Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Warning"),
            ("Logging:LogLevel:Akka", "Debug"));
        var (a, b) = (Ids.Next(), Ids.Next());
        var tokens = new List<string> { TestTokens.For(a), TestTokens.For(b), TestTokens.For(b + 1), "not-a-jwt-" + Guid.NewGuid().ToString("N") };
        await using (var alice = await server.ConnectWithQueryTokenAsync(a, tokens[0]))
        await using (var bob = await server.ConnectWithQueryTokenAsync(b, tokens[1]))
        {
            await Probe.RoundTripAsync(alice, a, bob, b);
            using var http = server.CreateHttpClient();
            Assert.Equal(0, (await MetricsScrape.TakeAsync(http)).Value(UpgradedConnections));
            await alice.CloseAsync();
            await bob.CloseAsync();
        }

        foreach (var token in tokens.Skip(2))
        {
            var refused = await server.RefusedUpgradeAsync($"ws/{b}?x=1&access_token={token}&y=2", _ => { });
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        }

        // The refusals' lines (the JWT handler's) and the sessions' end lines are written by now or never.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var timer = new PeriodicTimer(Probe.PollInterval))
        {
            while (sink.Lines.Count(l => l.Category.EndsWith("RelayWebSocketEndpoint", StringComparison.Ordinal) && l.Message.Contains("closed", StringComparison.Ordinal)) < 2)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the sessions' closed lines did not come within 30 s:\n{string.Join('\n', sink.Lines)}");
                await timer.WaitForNextTickAsync();
            }
        }

        var lines = sink.Lines;
        Assert.Contains(lines, l => l.Category.StartsWith("Microsoft.AspNetCore.Authentication", StringComparison.Ordinal));
        foreach (var token in tokens)
        {
            var leaks = lines.Where(l => l.Mentions(token)).ToList();
            Assert.True(leaks.Count == 0, $"the token was logged:\n{string.Join('\n', leaks)}");
        }
    }

    private byte[] UpgradeRequest(string path) => Encoding.ASCII.GetBytes(
        $"GET {path} HTTP/1.1\r\nHost: {_server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key()}\r\nSec-WebSocket-Version: 13\r\n\r\n");

    private static string Key() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    private static async Task<string> TextOfAsync(RawWebSocket raw)
    {
        var frame = await raw.ReadFrameAsync();
        Assert.NotNull(frame);
        Assert.Equal(Opcode.Text, frame.Opcode);
        return Encoding.UTF8.GetString(frame.Payload);
    }
}
