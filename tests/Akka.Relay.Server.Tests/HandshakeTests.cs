using System.Net;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>docs/protocol.md §1: handshakes refused before the upgrade, with a status and a JSON body, registering nothing.</summary>
public sealed class HandshakeTests : IClassFixture<ServerFixture>
{
    private readonly RelayServer _server;

    public HandshakeTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    public static TheoryData<string> InvalidIds => new()
    {
        "abc",
        "-1",
        "+1",
        "0",
        "00",
        "18446744073709551616",
        "99999999999999999999999",
        "1.5",
        "1e3",
        "0x1",
        "%201",
        "%D9%A1", // ARABIC-INDIC DIGIT ONE: a digit, but not a decimal ASCII digit
        "",
    };

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public async Task Invalid_user_id_is_refused_with_400_before_the_upgrade(string id)
    {
        var before = await _server.GetHubStatsAsync();

        var status = await RelayServer.ExpectRefusedAsync(_server.WebSocketUri(id));
        Assert.Equal(HttpStatusCode.BadRequest, status);

        var (rawStatus, contentType, body) = await _server.RawUpgradeAsync("ws/" + id);
        Assert.Equal(HttpStatusCode.BadRequest, rawStatus);
        RelayServer.AssertErrorBody(contentType, body);

        Assert.Equal(before, await _server.GetHubStatsAsync());
    }

    [Fact]
    public async Task Path_without_id_segment_is_refused_with_400()
    {
        var (status, contentType, body) = await _server.RawUpgradeAsync("ws");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        RelayServer.AssertErrorBody(contentType, body);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("18446744073709551615")]
    public async Task Valid_user_id_is_accepted_and_reachable(string id)
    {
        var userId = ulong.Parse(id);
        var peerId = Ids.Next();
        await using var user = await _server.ConnectAsync(id);
        await using var peer = await _server.ConnectAsync(peerId);

        await Probe.RoundTripAsync(peer, peerId, user, userId, "to the edge");
        await Probe.RoundTripAsync(user, userId, peer, peerId, "from the edge");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Request_without_upgrade_headers_is_refused_with_400(string method)
    {
        var userId = Ids.Next();
        using var http = _server.CreateHttpClient();
        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "ws/" + userId));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        RelayServer.AssertErrorBody(response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());

        await using var prober = await _server.ConnectAsync(Ids.Next());
        await Probe.AssertOfflineAsync(prober, userId);
    }

    private async Task<(string Header, string Body)> RawRequestAsync(string requestLine, string headers)
    {
        await using var raw = await RawWebSocket.ConnectTcpAsync(_server.BaseUri);
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        await raw.SendRawAsync(System.Text.Encoding.ASCII.GetBytes(
            $"{requestLine}\r\nHost: {_server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n{headers}\r\n"));
        return await raw.ReadHttpResponseAsync();
    }

    private static void AssertRefused(string header, string body, int status)
    {
        Assert.Matches($"^HTTP/1\\.[01] {status} ", header);
        var contentType = header.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim().Split(';')[0]).FirstOrDefault();
        RelayServer.AssertErrorBody(contentType, body);
    }

    [Fact]
    public async Task An_upgrade_over_HTTP_1_0_is_refused_with_400_and_registers_nothing()
    {
        // RFC 6455 4.1: the handshake is an HTTP/1.1 (or later) GET.
        var userId = Ids.Next();
        var (header, body) = await RawRequestAsync($"GET /ws/{userId} HTTP/1.0", "Sec-WebSocket-Version: 13\r\n");

        AssertRefused(header, body, 400);
        Assert.Contains("HTTP/1.1", body, StringComparison.Ordinal);
        await using var prober = await _server.ConnectAsync(Ids.Next());
        await Probe.AssertOfflineAsync(prober, userId);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Version: 8\r\n")]
    [InlineData("Sec-WebSocket-Version: 14\r\n")]
    [InlineData("Sec-WebSocket-Version: thirteen\r\n")]
    [InlineData("")]
    public async Task An_unsupported_WebSocket_version_is_refused_with_426_naming_version_13(string versionHeader)
    {
        // RFC 6455 4.4: the answer names the version(s) the server speaks.
        var userId = Ids.Next();
        var (header, body) = await RawRequestAsync($"GET /ws/{userId} HTTP/1.1", versionHeader);

        AssertRefused(header, body, 426);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", header, StringComparison.OrdinalIgnoreCase);
        await using var prober = await _server.ConnectAsync(Ids.Next());
        await Probe.AssertOfflineAsync(prober, userId);
    }

    [Fact]
    public async Task Without_an_allow_list_any_origin_is_accepted()
    {
        var userId = Ids.Next();
        await using var client = await _server.ConnectAsync(userId.ToString(), o => o.SetRequestHeader("Origin", "https://anything.example"));
        var peerId = Ids.Next();
        await using var peer = await _server.ConnectAsync(peerId);
        await Probe.RoundTripAsync(client, userId, peer, peerId);
    }

    [Fact]
    public async Task Origin_outside_the_allow_list_is_refused_with_403()
    {
        await using var server = await RelayServer.StartAsync(("Relay:AllowedOrigins:0", "https://good.example"));
        var evilId = Ids.Next();
        var goodId = Ids.Next();
        var plainId = Ids.Next();

        var status = await RelayServer.ExpectRefusedAsync(server.WebSocketUri(evilId.ToString()), o => o.SetRequestHeader("Origin", "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var (rawStatus, contentType, body) = await server.RawUpgradeAsync("ws/" + evilId, origin: "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, rawStatus);
        RelayServer.AssertErrorBody(contentType, body);

        // Nothing was registered for the refused user.
        Assert.Equal(new Actors.Hub.HubStats(0, 0), await server.GetHubStatsAsync());

        // The allowed origin, and a client that sends no Origin at all (not a browser), get in.
        await using var good = await server.ConnectAsync(goodId.ToString(), o => o.SetRequestHeader("Origin", "https://good.example"));
        await using var plain = await server.ConnectAsync(plainId.ToString());
        await Probe.RoundTripAsync(good, goodId, plain, plainId);
        await Probe.AssertOfflineAsync(good, evilId);
    }

    [Fact]
    public async Task Session_beyond_the_per_user_limit_is_refused_with_429_and_the_slot_frees_on_close()
    {
        await using var server = await RelayServer.StartAsync(("Relay:MaxSessionsPerUser", "2"));
        const ulong user = 7;
        const ulong other = 8;
        await using var first = await server.ConnectAsync(user);
        await using var second = await server.ConnectAsync(user);

        var status = await RelayServer.ExpectRefusedAsync(server.WebSocketUri("7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        var (rawStatus, contentType, body) = await server.RawUpgradeAsync("ws/7");
        Assert.Equal((HttpStatusCode)429, rawStatus);
        RelayServer.AssertErrorBody(contentType, body);

        // Another user still connects; the refused sessions were never registered.
        await using var otherClient = await server.ConnectAsync(other);
        Assert.Equal(new Actors.Hub.HubStats(2, 3), await server.GetHubStatsAsync());

        // A SEND reaches exactly the two admitted sessions.
        var message = Wire.Send(user, "to both of you");
        await otherClient.SendTextAsync(message);
        Wire.AssertStamped(message, await first.ReceiveTextAsync(), other);
        Wire.AssertStamped(message, await second.ReceiveTextAsync(), other);
        Assert.Equal(Wire.SuccessSend(user), await otherClient.ReceiveTextAsync());

        // Closing one session frees its slot at once.
        await first.CloseAsync();
        await using var third = await server.ConnectAsync(user);
        await Probe.RoundTripAsync(otherClient, other, third, user);
        Wire.AssertStamped(Wire.Send(user, "ping"), await second.ReceiveTextAsync(), other);
    }
}
