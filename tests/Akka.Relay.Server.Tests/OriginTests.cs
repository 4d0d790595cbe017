using System.Net;
using System.Net.Http.Headers;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>A server whose allow-list names two origins, with authentication on.</summary>
public sealed class OriginServerFixture : IAsyncLifetime
{
    private RelayServer? _server;

    public RelayServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await RelayServer.StartAsync(
        ("Relay:AllowedOrigins:0", "https://chat.example.com"),
        ("Relay:AllowedOrigins:1", "http://localhost:3000"),
        ("Relay:Auth:SigningKey", TestTokens.Key));

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// docs/protocol.md §1: an <c>Origin</c> outside the allow-list is refused with 403 before the upgrade: exact
/// origins only (scheme, host and port), compared case-insensitively; checked before the token, so a
/// page on another site learns nothing from the answer.
/// </summary>
public sealed class OriginTests : IClassFixture<OriginServerFixture>
{
    private readonly RelayServer _server;

    public OriginTests(OriginServerFixture fixture)
    {
        _server = fixture.Server;
    }

    private async Task<HttpStatusCode> UpgradeAsync(ulong userId, string[] origins, bool withToken)
    {
        using var http = _server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "ws/" + userId);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        request.Headers.TryAddWithoutValidation("Origin", origins);
        if (withToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(userId));
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        RelayServer.AssertErrorBody(response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        return response.StatusCode;
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://chat.example.com.evil.example")] // a suffix is not the origin
    [InlineData("https://evil.example/https://chat.example.com")]
    [InlineData("http://chat.example.com")] // another scheme
    [InlineData("https://chat.example.com:8443")] // another port
    [InlineData("http://localhost:3001")]
    [InlineData("null")] // sandboxed frames, file:// pages
    [InlineData("https://chat.example.com/")]
    public async Task An_origin_outside_the_list_is_refused_with_403_even_with_a_valid_token(string origin)
    {
        var userId = Ids.Next();
        var before = await _server.GetHubStatsAsync();

        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(userId, [origin], withToken: true));
        var status = await RelayServer.ExpectRefusedAsync(_server.WebSocketUri(userId.ToString()), o =>
        {
            o.SetRequestHeader("Origin", origin);
            o.SetRequestHeader("Authorization", "Bearer " + TestTokens.For(userId));
        });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(before, await _server.GetHubStatsAsync());
    }

    [Fact]
    public async Task The_origin_is_checked_before_the_token()
    {
        // Without a token a listed origin gets 401, another origin 403: the page learns only "not allowed".
        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(Ids.Next(), ["https://evil.example"], withToken: false));
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeAsync(Ids.Next(), ["https://chat.example.com"], withToken: false));
    }

    [Fact]
    public async Task Two_Origin_headers_are_refused()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(Ids.Next(), ["https://chat.example.com", "https://evil.example"], withToken: true));
    }

    [Theory]
    [InlineData("https://chat.example.com")]
    [InlineData("HTTPS://CHAT.EXAMPLE.COM")] // origins compare case-insensitively
    [InlineData("http://localhost:3000")]
    public async Task A_listed_origin_with_a_valid_token_opens_a_session(string origin)
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a.ToString(), o =>
        {
            o.SetRequestHeader("Origin", origin);
            o.SetRequestHeader("Authorization", "Bearer " + TestTokens.For(a));
        });
        await using var bob = await _server.ConnectWithQueryTokenAsync(b, TestTokens.For(b));
        await Probe.RoundTripAsync(alice, a, bob, b);
    }
}
