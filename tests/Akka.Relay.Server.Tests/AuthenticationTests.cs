using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Tests;

/// <summary>A server with JWT authentication on: key, issuer, audience, no clock skew.</summary>
public sealed class AuthServerFixture : IAsyncLifetime
{
    public const string Issuer = "relay-tests";
    public const string Audience = "relay";

    private RelayServer? _server;

    public RelayServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await RelayServer.StartAsync(
        ("Relay:Auth:SigningKey", TestTokens.Key),
        ("Relay:Auth:Issuer", Issuer),
        ("Relay:Auth:Audience", Audience),
        ("Relay:Auth:ClockSkew", "00:00:00"));

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>docs/protocol.md §1: with a signing key configured, a handshake needs a valid JWT whose subject is the user id, else 401 before the upgrade.</summary>
public sealed class AuthenticationTests : IClassFixture<AuthServerFixture>
{
    private readonly RelayServer _server;

    public AuthenticationTests(AuthServerFixture fixture)
    {
        _server = fixture.Server;
    }

    private static string Token(ulong subject, TimeSpan? lifetime = null) =>
        TestTokens.For(subject, lifetime, issuer: AuthServerFixture.Issuer, audience: AuthServerFixture.Audience);

    private static Dictionary<string, object> Claims(ulong subject) => new()
    {
        ["sub"] = subject.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["iss"] = AuthServerFixture.Issuer,
        ["aud"] = AuthServerFixture.Audience,
        ["iat"] = TestTokens.Now,
        ["exp"] = TestTokens.Now + 3600,
    };

    private Task<TestClient> ConnectWithHeaderAsync(ulong userId, string token) =>
        _server.ConnectAsync(userId.ToString(), o => o.SetRequestHeader("Authorization", "Bearer " + token));

    /// <summary>An upgrade request with the given Authorization header and query; returns status, WWW-Authenticate and the "error" of the body.</summary>
    private async Task<(HttpStatusCode Status, string? Challenge, string? Error)> UpgradeAsync(string path, string? bearer = null)
    {
        var refused = await _server.RefusedUpgradeAsync(path, request =>
        {
            if (bearer is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }
        });
        RelayServer.AssertErrorBody(refused.ContentType, refused.Body);
        using var document = JsonDocument.Parse(refused.Body);
        return (refused.Status, refused.Challenge, document.RootElement.GetProperty("error").GetString());
    }

    public static TheoryData<string, string?> BadTokens()
    {
        const ulong user = 4242;
        var data = new TheoryData<string, string?>();
        void Add(string name, string token, string? error = "invalid token") => data.Add(name, token + "|" + error);
        Add("signed with another key", TestTokens.Sign(Claims(user), key: "another-signing-key-0123456789abcdef"));
        var expired = Claims(user);
        expired["iat"] = TestTokens.Now - 7200;
        expired["exp"] = TestTokens.Now - 60;
        Add("expired a minute ago", TestTokens.Sign(expired), "token expired");
        Add("for another user", TestTokens.Sign(Claims(user + 1)), "token subject does not match the user id");
        var noSubject = Claims(user);
        noSubject.Remove("sub");
        Add("without a subject", TestTokens.Sign(noSubject), "token subject does not match the user id");
        var zero = Claims(user);
        zero["sub"] = "0";
        Add("for user 0, the server", TestTokens.Sign(zero), "token subject does not match the user id");
        var wrongIssuer = Claims(user);
        wrongIssuer["iss"] = "someone-else";
        Add("from another issuer", TestTokens.Sign(wrongIssuer));
        var noIssuer = Claims(user);
        noIssuer.Remove("iss");
        Add("without an issuer", TestTokens.Sign(noIssuer));
        var wrongAudience = Claims(user);
        wrongAudience["aud"] = "another-service";
        Add("for another audience", TestTokens.Sign(wrongAudience));
        var noExpiry = Claims(user);
        noExpiry.Remove("exp");
        Add("without an expiry", TestTokens.Sign(noExpiry));
        var notYet = Claims(user);
        notYet["nbf"] = TestTokens.Now + 3600;
        Add("not valid before an hour from now", TestTokens.Sign(notYet));
        Add("unsigned (alg none)", TestTokens.Sign(Claims(user), algorithm: "none"));
        Add("HS384 with the right key", TestTokens.Sign(Claims(user), algorithm: "HS384"));
        Add("HS512 with the right key", TestTokens.Sign(Claims(user), algorithm: "HS512"));
        var good = TestTokens.Sign(Claims(user));
        Add("signature cut off", good[..good.LastIndexOf('.')] + ".");
        Add("payload tampered", good.Split('.')[0] + "." + TestTokens.Sign(Claims(user + 1)).Split('.')[1] + "." + good.Split('.')[2]);
        Add("not a JWT", "not-a-token");
        // DateTime ends at 9999-12-31T23:59:59Z (253402300799).
        var pastYear9999 = Claims(user);
        pastYear9999["exp"] = 253402300800L;
        Add("expiring after the year 9999", TestTokens.Sign(pastYear9999));
        var farFuture = Claims(user);
        farFuture["exp"] = long.MaxValue;
        Add("expiring at the largest JWT time", TestTokens.Sign(farFuture));
        return data;
    }

    [Fact]
    public async Task A_handshake_without_a_token_is_refused_with_401_and_registers_nothing()
    {
        var userId = Ids.Next();
        var before = await _server.GetHubStatsAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, await RelayServer.ExpectRefusedAsync(_server.WebSocketUri(userId.ToString())));
        var (status, challenge, error) = await UpgradeAsync("ws/" + userId);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Bearer", challenge);
        Assert.Contains("token is required", error, StringComparison.Ordinal);

        Assert.Equal(before, await _server.GetHubStatsAsync());
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_refused_with_401_before_the_upgrade(string name, string? tokenAndError)
    {
        var parts = tokenAndError!.Split('|');
        var (token, expected) = (parts[0], parts[1]);
        const ulong user = 4242;

        var status = await RelayServer.ExpectRefusedAsync(_server.WebSocketUri(user.ToString()), o => o.SetRequestHeader("Authorization", "Bearer " + token));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        var (rawStatus, challenge, error) = await UpgradeAsync("ws/" + user, token);
        Assert.Equal(HttpStatusCode.Unauthorized, rawStatus);
        Assert.Equal("Bearer", challenge);
        Assert.True(expected == error, $"{name}: expected '{expected}', got '{error}'");
        var (queryStatus, _, _) = await UpgradeAsync($"ws/{user}?access_token={Uri.EscapeDataString(token)}");
        Assert.Equal(HttpStatusCode.Unauthorized, queryStatus);

        var proberId = Ids.Next();
        await using var prober = await ConnectWithHeaderAsync(proberId, Token(proberId));
        await Probe.AssertOfflineAsync(prober, user);
    }

    [Fact]
    public async Task A_valid_token_in_the_Authorization_header_opens_the_session()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await ConnectWithHeaderAsync(a, Token(a));
        await using var bob = await ConnectWithHeaderAsync(b, Token(b));
        await Probe.RoundTripAsync(alice, a, bob, b);
        await Probe.RoundTripAsync(bob, b, alice, a);
    }

    [Fact]
    public async Task A_valid_token_in_the_access_token_query_parameter_opens_the_session_as_browsers_do()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectWithQueryTokenAsync(a, Token(a));
        await using var bob = await ConnectWithHeaderAsync(b, Token(b));
        await Probe.RoundTripAsync(alice, a, bob, b);
    }

    [Fact]
    public async Task The_Authorization_header_wins_over_the_query_parameter()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectWithQueryTokenAsync(a, "garbage", o => o.SetRequestHeader("Authorization", "Bearer " + Token(a)));
        await using var bob = await ConnectWithHeaderAsync(b, Token(b));
        await Probe.RoundTripAsync(alice, a, bob, b);

        var (status, _, _) = await UpgradeAsync($"ws/{a}?access_token={Token(a)}", "garbage");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task The_subject_is_compared_as_a_user_id_so_a_token_for_7_opens_ws_007()
    {
        var peerId = Ids.Next();
        await using var seven = await _server.ConnectAsync("007", o => o.SetRequestHeader("Authorization", "Bearer " + Token(7)));
        await using var peer = await ConnectWithHeaderAsync(peerId, Token(peerId));
        await Probe.RoundTripAsync(peer, peerId, seven, 7);
    }

    [Fact]
    public async Task A_session_is_closed_with_1008_when_its_token_expires_and_others_carry_on()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        var token = Token(a, TimeSpan.FromSeconds(5));
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.GetProperty("exp").GetInt64());
        await using var alice = await ConnectWithHeaderAsync(a, token);
        await using var bob = await ConnectWithHeaderAsync(b, Token(b));
        await Probe.RoundTripAsync(alice, a, bob, b, "before expiry");

        var end = await alice.ReceiveEndAsync(TimeSpan.FromSeconds(30));
        var closedAt = DateTimeOffset.UtcNow;
        Assert.False(end.Aborted, $"expected a close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, end.CloseStatus);
        Assert.Equal("token expired", end.CloseDescription);
        // Not before the token's exp (second resolution, hence a little slack for clock reading).
        Assert.True(closedAt >= expiresAt - TimeSpan.FromMilliseconds(250), $"closed at {closedAt:O}, token expired at {expiresAt:O}");

        await Probe.AssertOfflineAsync(bob, a);
        var c = Ids.Next();
        await using var carol = await ConnectWithHeaderAsync(c, Token(c));
        await Probe.RoundTripAsync(bob, b, carol, c, "after");
    }

    [Theory]
    [InlineData("Relay:Auth:SigningKey", "too-short-key", "at least 32 bytes")]
    [InlineData("Relay:Auth:SigningKey", "base64:AAAA", "at least 32 bytes")]
    [InlineData("Relay:Auth:SigningKey", "base64:not base64!", "not valid base64")]
    [InlineData("Relay:Auth:Issuer", "someone", "need Relay:Auth:SigningKey")]
    public async Task A_weak_or_incomplete_auth_setting_stops_the_server_at_start(string key, string value, string message)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RelayServer.StartAsync((key, value)));
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_alone_checks_neither_issuer_nor_audience_and_accepts_a_base64_key()
    {
        var key = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(TestTokens.Key));
        await using var server = await RelayServer.StartAsync(("Relay:Auth:SigningKey", "base64:" + key));
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await server.ConnectAsync(a.ToString(), o => o.SetRequestHeader("Authorization", "Bearer " + TestTokens.For(a)));
        await using var bob = await server.ConnectWithQueryTokenAsync(b, TestTokens.For(b));
        await Probe.RoundTripAsync(alice, a, bob, b);
        Assert.Equal(HttpStatusCode.Unauthorized, await RelayServer.ExpectRefusedAsync(server.WebSocketUri(Ids.Next().ToString())));
    }

    [Fact]
    public async Task A_token_expiring_in_the_last_second_of_the_year_9999_opens_a_session_with_the_default_clock_skew()
    {
        // Its session end (exp + skew) lies past DateTimeOffset.MaxValue.
        await using var server = await RelayServer.StartAsync(("Relay:Auth:SigningKey", TestTokens.Key));
        var (a, b) = (Ids.Next(), Ids.Next());
        Dictionary<string, object> LastSecond(ulong subject) => new()
        {
            ["sub"] = subject.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["exp"] = 253402300799L,
        };

        await using var alice = await server.ConnectAsync(a.ToString(), o => o.SetRequestHeader("Authorization", "Bearer " + TestTokens.Sign(LastSecond(a))));
        await using var bob = await server.ConnectWithQueryTokenAsync(b, TestTokens.Sign(LastSecond(b)));
        await Probe.RoundTripAsync(alice, a, bob, b);
        await Probe.RoundTripAsync(bob, b, alice, a);

        // One second later is past what a date can hold: refused like any bad token, not a 500.
        var beyond = LastSecond(a);
        beyond["exp"] = 253402300800L;
        var refused = await server.RefusedUpgradeAsync("ws/" + a, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Sign(beyond)));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        RelayServer.AssertErrorBody(refused.ContentType, refused.Body);
    }

    [Fact]
    public async Task Without_a_signing_key_nothing_of_authentication_is_registered_so_no_handshake_passes_its_middleware()
    {
        // ASP.NET Core puts its authentication middleware in front of every request of an app that registers
        // authentication; the middleware opens a DI scope per request, which a session would keep open.
        await using var open = await RelayServer.StartAsync();
        Assert.Null(open.App.Services.GetService<IAuthenticationSchemeProvider>());
        Assert.NotNull(_server.App.Services.GetService<IAuthenticationSchemeProvider>());

        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await open.ConnectAsync(a);
        await using var bob = await open.ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b);
    }
}
