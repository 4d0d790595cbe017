using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Akka.Relay.Testing.Server;

/// <summary>The real relay server on Kestrel at 127.0.0.1 with an ephemeral port, configured like any deployment.</summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private Task? _stopping;

    private RelayServer(WebApplication app, Uri baseUri, LogCapture logs)
    {
        _app = app;
        BaseUri = baseUri;
        Logs = logs;
    }

    /// <summary>What the server logged at Warning and above (Akka's log included: it goes through the same ILogger pipeline).</summary>
    public LogCapture Logs { get; }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUri { get; }

    /// <summary>The running application (for its services).</summary>
    public WebApplication App => _app;

    /// <summary>
    /// Starts a server. Settings are passed as configuration, exactly as an operator would
    /// (e.g. ("Relay:PingInterval", "00:00:01")); there is no test-only code path.
    /// </summary>
    public static Task<RelayServer> StartAsync(params (string Key, string Value)[] settings) => StartAsync(null, settings);

    /// <summary>
    /// Starts a server whose log lines also reach <paramref name="logSink"/> (added to the host's logger factory
    /// before it starts, so Akka's log stream, which goes through that factory, reaches it too).
    /// </summary>
    public static async Task<RelayServer> StartAsync(ILoggerProvider? logSink, params (string Key, string Value)[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Akka=Warning",
        };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var app = RelayApp.Build(args.ToArray());
        // Added to the built application's logger factory: no test-only path in the server.
        var logs = new LogCapture();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        if (logSink is not null)
        {
            app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logSink);
        }

        try
        {
            await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            // A bad setting stops the start; nothing may be left running behind the failed test.
            await app.DisposeAsync();
            throw;
        }

        var address = app.Urls.Single();
        return new RelayServer(app, new Uri(address.EndsWith('/') ? address : address + "/"), logs);
    }

    /// <summary>The WebSocket URI of user <paramref name="userId"/>'s endpoint.</summary>
    public Uri WebSocketUri(string userId) =>
        new UriBuilder(BaseUri) { Scheme = "ws", Path = "/ws/" + userId }.Uri;

    /// <summary>Connects a client as <paramref name="userId"/> that reads continuously (and so answers pings).</summary>
    public Task<TestClient> ConnectAsync(ulong userId) => TestClient.ConnectAsync(WebSocketUri(userId.ToString()), autoRead: true);

    /// <summary>Connects a client that reads only when the test asks it to.</summary>
    public Task<TestClient> ConnectWithoutReadingAsync(ulong userId) => TestClient.ConnectAsync(WebSocketUri(userId.ToString()), autoRead: false);

    /// <summary>A plain HTTP client pointed at the server.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Stops the server gracefully (drains sessions with 1001). Calling it again returns the same stop.</summary>
    public Task StopAsync() => _stopping ??= _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>
    /// Completes when <c>IHostApplicationLifetime.ApplicationStopping</c> fires. The host fires it only after every
    /// <c>IHostedLifecycleService.StoppingAsync</c> has returned, i.e. after the session drain has finished (seen here):
    /// to act while the drain is still open, wait for a session's 1001 close instead.
    /// </summary>
    public Task Stopping
    {
        get
        {
            var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
            return stopping.Task;
        }
    }

    /// <summary>Connects a client as <paramref name="userId"/> (any spelling) with extra client options.</summary>
    public Task<TestClient> ConnectAsync(string userId, Action<ClientWebSocketOptions>? configure = null, bool autoRead = true) =>
        TestClient.ConnectAsync(WebSocketUri(userId), autoRead, configure);

    /// <summary>
    /// Connects a client that does not read and whose TCP receive buffer is small, so the server's writes
    /// to it back up after a few kilobytes (a stalled or very slow consumer).
    /// </summary>
    public Task<TestClient> ConnectStalledAsync(ulong userId, int receiveBufferBytes = 4096) =>
        TestClient.ConnectAsync(WebSocketUri(userId.ToString()), autoRead: false, receiveBufferBytes: receiveBufferBytes);

    /// <summary>The hub's own count of users and sessions (what is registered right now).</summary>
    public async Task<HubStats> GetHubStatsAsync()
    {
        var hub = await _app.Services.GetRequiredService<IRequiredActor<HubActorBase>>().GetAsync();
        return await hub.Ask<HubStats>(GetHubStats.Instance, TimeSpan.FromSeconds(5));
    }

    /// <summary>Waits until the hub knows which users hold an inbox (what <c>/readyz</c>'s <c>inbox</c> check waits for).</summary>
    public async Task AwaitInboxesListedAsync(TimeSpan timeout)
    {
        var hub = await _app.Services.GetRequiredService<IRequiredActor<HubActorBase>>().GetAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var poll = new PeriodicTimer(Probe.PollInterval);
        while (!(await hub.Ask<HubReadiness>(GetHubReadiness.Instance, TimeSpan.FromSeconds(5))).InboxesListed)
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"the hub had not listed the stored inboxes after {timeout}");
            }

            await poll.WaitForNextTickAsync();
        }
    }

    /// <summary>
    /// Sends a WebSocket upgrade request (as a browser would) with HttpClient, so a refused handshake's
    /// status and JSON body can both be read. <paramref name="path"/> is relative, e.g. "ws/abc".
    /// </summary>
    public async Task<(HttpStatusCode Status, string? ContentType, string Body)> RawUpgradeAsync(string path, string? origin = null)
    {
        var refused = await RefusedUpgradeAsync(path, request =>
        {
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }
        });
        return (refused.Status, refused.ContentType, refused.Body);
    }

    /// <summary>
    /// The same upgrade request, with more headers set by <paramref name="configure"/>; asserts it was refused
    /// and also returns the response's <c>WWW-Authenticate</c>.
    /// </summary>
    public async Task<RefusedUpgrade> RefusedUpgradeAsync(string path, Action<HttpRequestMessage> configure)
    {
        using var http = CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        configure(request);

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.NotEqual(HttpStatusCode.SwitchingProtocols, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        return new RefusedUpgrade(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>Asserts that a refusal's body is a JSON object <c>{"error": "..."}</c> with a non-empty reason.</summary>
    public static void AssertErrorBody(string? contentType, string body)
    {
        Assert.Equal("application/json", contentType);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.True(document.RootElement.TryGetProperty("error", out var error), $"no \"error\" in {body}");
        Assert.Equal(JsonValueKind.String, error.ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(error.GetString()), $"empty error in {body}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Attempts a handshake with a real ClientWebSocket that must be refused; returns the HTTP status it saw.</summary>
    public static async Task<HttpStatusCode> ExpectRefusedAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, timeout.Token));
        return socket.HttpStatusCode;
    }
}

/// <summary>A refused WebSocket upgrade as the client saw it.</summary>
public sealed record RefusedUpgrade(HttpStatusCode Status, string? ContentType, string Body, string Challenge);
