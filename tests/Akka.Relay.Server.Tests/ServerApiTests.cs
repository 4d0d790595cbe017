using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>Shares one server with the server API turned on by a key.</summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    private RelayServer? _server;

    /// <summary>The running server.</summary>
    public RelayServer Server => _server ?? throw new InvalidOperationException("not started");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await RelayServer.StartAsync(("Relay:Api:Key", ApiClient.Key));

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// The server API over real HTTP, with real WebSocket clients on the other end: send and broadcast as the
/// server (<c>"sender":0</c>), look users up, count them; refused without the key, with a wrong key, and for
/// bad input, with a JSON reason.
/// </summary>
public sealed class ServerApiTests : IClassFixture<ApiServerFixture>
{
    private readonly RelayServer _server;

    public ServerApiTests(ApiServerFixture fixture)
    {
        _server = fixture.Server;
    }

    private ApiClient Api(string? key = ApiClient.Key) => new(_server.BaseUri, key);

    private static string Notice(ulong receiver, string content) =>
        $$"""{"type":2,"sender":0,"receiver":{{receiver.ToString(CultureInfo.InvariantCulture)}},"content":{{JsonSerializer.Serialize(content)}}}""";

    private static void AssertError(HttpStatusCode expected, (HttpStatusCode Status, JsonElement Body) answer)
    {
        Assert.Equal(expected, answer.Status);
        Assert.Equal(JsonValueKind.Object, answer.Body.ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(answer.Body.GetProperty("error").GetString()), $"no reason in {answer.Body}");
    }

    [Fact]
    public async Task Send_reaches_every_session_of_the_user_as_a_system_message_and_answers_success_send()
    {
        var u = Ids.Next();
        await using var phone = await _server.ConnectAsync(u);
        await using var laptop = await _server.ConnectAsync(u);
        using var api = Api();

        var (status, body) = await api.SendToAsync(u, "your order has shipped");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(u, body.GetProperty("receiver").GetUInt64());
        Assert.Equal("success send", body.GetProperty("result").GetString());
        Assert.True(body.GetProperty("delivered").GetBoolean());
        Assert.Equal(Notice(u, "your order has shipped"), await phone.ReceiveTextAsync());
        Assert.Equal(Notice(u, "your order has shipped"), await laptop.ReceiveTextAsync());
    }

    [Fact]
    public async Task Send_to_a_user_without_sessions_answers_not_online()
    {
        using var api = Api();
        var nobody = Ids.Next();

        var (status, body) = await api.SendToAsync(nobody, "anyone?");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("not online", body.GetProperty("result").GetString());
        Assert.False(body.GetProperty("delivered").GetBoolean());
    }

    [Fact]
    public async Task The_key_may_come_as_X_Api_Key_and_content_is_escaped_exactly_once()
    {
        var u = Ids.Next();
        await using var client = await _server.ConnectAsync(u);
        using var api = Api(key: null);
        const string content = "quote \" backslash \\ newline \n unicode é 日本 😀 <b>";
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/send")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { receiver = u, content }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Api-Key", ApiClient.Key);

        var (status, _) = await api.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, status);
        var received = await client.ReceiveJsonAsync();
        Assert.Equal(content, received.GetProperty("content").GetString());
        Assert.Equal(0UL, received.GetProperty("sender").GetUInt64());
        Assert.Equal(2, received.GetProperty("type").GetInt32());
    }

    [Fact]
    public async Task Broadcast_reaches_every_session_as_a_system_message_without_receiver()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        await using var bob = await _server.ConnectAsync(b);
        using var api = Api();
        var marker = "maintenance at 22:00 " + Guid.NewGuid().ToString("N");

        var (status, body) = await api.PostAsync("api/broadcast", JsonSerializer.Serialize(new { content = marker }));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("queued", body.GetProperty("result").GetString());
        var expected = $$"""{"type":2,"sender":0,"content":"{{marker}}"}""";
        // Other tests' broadcasts may arrive on this shared server too: look for ours.
        foreach (var client in new[] { alice, bob })
        {
            while (true)
            {
                var text = await client.ReceiveTextAsync();
                if (text.Contains(marker, StringComparison.Ordinal))
                {
                    Assert.Equal(expected, text);
                    break;
                }
            }
        }
    }

    [Fact]
    public async Task User_lookup_counts_the_sessions_of_a_user()
    {
        var (u, nobody) = (Ids.Next(), Ids.Next());
        await using var one = await _server.ConnectAsync(u);
        await using var two = await _server.ConnectAsync(u);
        using var api = Api();

        var (status, online) = await api.GetAsync($"api/users/{u}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(u, online.GetProperty("user").GetUInt64());
        Assert.True(online.GetProperty("online").GetBoolean());
        Assert.Equal(2, online.GetProperty("sessions").GetInt32());

        var (_, offline) = await api.GetAsync($"api/users/{nobody}");
        Assert.False(offline.GetProperty("online").GetBoolean());
        Assert.Equal(0, offline.GetProperty("sessions").GetInt32());

        // Leading zeros mean the same user, as for /ws/{id}.
        var (_, padded) = await api.GetAsync($"api/users/000{u}");
        Assert.Equal(2, padded.GetProperty("sessions").GetInt32());
    }

    [Fact]
    public async Task Stats_count_the_users_and_sessions_of_the_node()
    {
        await using var server = await RelayServer.StartAsync(("Relay:Api:Key", ApiClient.Key));
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var a1 = await server.ConnectAsync(a);
        await using var a2 = await server.ConnectAsync(a);
        await using var b1 = await server.ConnectAsync(b);
        using var api = new ApiClient(server.BaseUri);

        var (status, body) = await api.GetAsync("api/stats");

        Assert.Equal(HttpStatusCode.OK, status);
        var node = body.GetProperty("node");
        Assert.Equal(2, node.GetProperty("users").GetInt32());
        Assert.Equal(3, node.GetProperty("sessions").GetInt32());
        Assert.False(body.TryGetProperty("cluster", out _), "a single node reported a cluster");
    }

    [Theory]
    [InlineData(null, "bearer")]
    [InlineData("wrong-key-0123456789abcdef", "bearer")]
    [InlineData("wrong-key-0123456789abcdef", "header")]
    [InlineData("", "header")]
    public async Task Without_the_right_key_every_route_answers_401(string? key, string how)
    {
        var u = Ids.Next();
        await using var client = await _server.ConnectAsync(u);
        using var api = Api(key: null);
        foreach (var (method, path, json) in new[]
                 {
                     (HttpMethod.Post, "api/send", JsonSerializer.Serialize(new { receiver = u, content = "forged" })),
                     (HttpMethod.Post, "api/broadcast", """{"content":"forged"}"""),
                     (HttpMethod.Get, $"api/users/{u}", (string?)null),
                     (HttpMethod.Get, "api/stats", null),
                 })
        {
            var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            if (key is not null)
            {
                if (how == "bearer")
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation("X-Api-Key", key);
                }
            }

            using var response = await api.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrWhiteSpace(body.RootElement.GetProperty("error").GetString()));
        }

        // Nothing was delivered: the next thing the client gets is a real ack of its own.
        await client.SendToAsync(Ids.Next(), "probe");
        Assert.StartsWith("""{"type":2,"sender":0,"receiver":""", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadSends => new()
    {
        { "not JSON", "hello" },
        { "not an object", "[1,2]" },
        { "missing receiver", """{"content":"x"}""" },
        { "receiver as string", """{"receiver":"5","content":"x"}""" },
        { "receiver negative", """{"receiver":-5,"content":"x"}""" },
        { "receiver fraction", """{"receiver":5.5,"content":"x"}""" },
        { "receiver over 2^64-1", """{"receiver":18446744073709551616,"content":"x"}""" },
        { "receiver 0", """{"receiver":0,"content":"x"}""" },
        { "missing content", """{"receiver":5}""" },
        { "content number", """{"receiver":5,"content":5}""" },
        { "content null", """{"receiver":5,"content":null}""" },
        { "content empty", """{"receiver":5,"content":""}""" },
        { "content like an ack", """{"receiver":5,"content":"success send"}""" },
        { "content like an error", """{"receiver":5,"content":"error: forged"}""" },
        { "duplicate receiver", """{"receiver":5,"receiver":6,"content":"x"}""" },
        { "content with a lone surrogate escape", """{"receiver":5,"content":"a\ud800b"}""" },
        { "key with a lone surrogate escape", """{"\ud800":1,"receiver":5,"content":"x"}""" },
        { "unknown key with a lone low surrogate escape", """{"receiver":5,"x\udc00":1,"content":"x"}""" },
        { "content over the limit once encoded", $$"""{"receiver":5,"content":"{{new string('x', 470)}}"}""" },
        { "content over the limit through escapes", $$"""{"receiver":5,"content":"{{string.Concat(Enumerable.Repeat("\\n", 240))}}"}""" },
    };

    [Theory]
    [MemberData(nameof(BadSends))]
    public async Task Bad_send_requests_are_refused_with_400_and_a_reason(string name, string json)
    {
        _ = name;
        using var api = Api();
        AssertError(HttpStatusCode.BadRequest, await api.PostAsync("api/send", json));
    }

    [Fact]
    public async Task Content_that_just_fits_is_delivered()
    {
        var u = Ids.Next();
        await using var client = await _server.ConnectAsync(u);
        using var api = Api();
        // The encoded message is exactly 512 bytes.
        var overhead = Encoding.UTF8.GetByteCount(Notice(u, string.Empty));
        var content = new string('x', 512 - overhead);

        var (status, _) = await api.SendToAsync(u, content);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(512, Encoding.UTF8.GetByteCount(await client.ReceiveTextAsync()));
        AssertError(HttpStatusCode.BadRequest, await api.SendToAsync(u, content + "x"));
    }

    [Fact]
    public async Task Bad_broadcasts_and_user_ids_are_refused_with_400()
    {
        using var api = Api();
        AssertError(HttpStatusCode.BadRequest, await api.PostAsync("api/broadcast", """{"content":7}"""));
        AssertError(HttpStatusCode.BadRequest, await api.PostAsync("api/broadcast", """{"content":"not online"}"""));
        AssertError(HttpStatusCode.BadRequest, await api.PostAsync("api/broadcast", """{"content":"\udfff"}"""));
        AssertError(HttpStatusCode.BadRequest, await api.PostAsync("api/broadcast", """{"\ud800":"x","content":"y"}"""));
        AssertError(HttpStatusCode.BadRequest, await api.PostAsync("api/broadcast", $$"""{"content":"{{new string('y', 500)}}"}"""));
        foreach (var id in new[] { "0", "abc", "-1", "18446744073709551616", "1.5" })
        {
            AssertError(HttpStatusCode.BadRequest, await api.GetAsync($"api/users/{id}"));
        }
    }

    [Fact]
    public async Task A_body_far_over_the_limit_is_refused_with_413()
    {
        using var api = Api();
        AssertError(HttpStatusCode.RequestEntityTooLarge, await api.PostAsync("api/send", $$"""{"receiver":5,"content":"{{new string('z', 100_000)}}"}"""));
    }
}

/// <summary>Without <c>Relay:Api:Key</c> the server API does not exist; a weak key stops the server at start.</summary>
public sealed class ServerApiOffTests
{
    [Fact]
    public async Task Without_a_key_every_route_answers_404()
    {
        await using var server = await RelayServer.StartAsync();
        using var api = new ApiClient(server.BaseUri);

        Assert.Equal(HttpStatusCode.NotFound, (await api.SendToAsync(Ids.Next(), "x")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("api/broadcast", """{"content":"x"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("api/users/5")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("api/stats")).Status);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has a space in it 0123456789")]
    public async Task A_weak_key_stops_the_server_with_a_message_naming_the_setting(string key)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => RelayServer.StartAsync(("Relay:Api:Key", key)));
        Assert.Contains("Relay:Api:Key", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drain_spread_not_shorter_than_the_drain_timeout_stops_the_server()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => RelayServer.StartAsync(("Relay:DrainSpread", "00:00:10"), ("Relay:DrainTimeout", "00:00:10")));
        Assert.Contains("Relay:DrainSpread", failure.Message, StringComparison.Ordinal);
    }
}
