using System.Net.WebSockets;
using Akka.Relay.Server.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>The real relay server on Kestrel at 127.0.0.1 with an ephemeral port, configured like any deployment.</summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private RelayServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUri { get; }

    /// <summary>The running application (for its services).</summary>
    public WebApplication App => _app;

    /// <summary>
    /// Starts a server. Settings are passed as configuration, exactly as an operator would
    /// (e.g. ("Relay:PingInterval", "00:00:01")); there is no test-only code path.
    /// </summary>
    public static async Task<RelayServer> StartAsync(params (string Key, string Value)[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Akka=Warning",
        };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var app = RelayApp.Build(args.ToArray());
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Urls.Single();
        return new RelayServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
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

    /// <summary>Stops the server gracefully (drains sessions with 1001).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Thrown when a handshake was refused, with the HTTP status.</summary>
    public static async Task<WebSocketException> ExpectRefusedAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
        return error;
    }
}
