using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Akka.Relay.Client.Tests.Infrastructure;

/// <summary>
/// A WebSocket endpoint on Kestrel at <c>/ws/{id}</c> whose answers the test writes frame by frame, to put the client
/// in a chosen order of events that the real relay only reaches by chance (e.g. a session cut while a write waits).
/// </summary>
public sealed class ScriptedRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ScriptedSession> _sessions = Channel.CreateUnbounded<ScriptedSession>();
    private readonly ConcurrentQueue<ScriptedSession> _all = new();

    private ScriptedRelay(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:PORT/ of the endpoint.</summary>
    public Uri BaseUri { get; private set; } = null!;

    public static async Task<ScriptedRelay> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var relay = new ScriptedRelay(app);
        app.UseWebSockets();
        app.Map("/ws/{id}", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var session = new ScriptedSession(socket);
            relay._all.Enqueue(session);
            relay._sessions.Writer.TryWrite(session);
            await session.Ended; // The request lives as long as the test keeps the session.
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Urls.Single();
        relay.BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        return relay;
    }

    /// <summary>The next session the client opens.</summary>
    public Task<ScriptedSession> NextSessionAsync(TimeSpan? timeout = null) =>
        _sessions.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _all)
        {
            session.Abort();
        }

        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}

/// <summary>One accepted session: the client's frames as they come, and the server's side of it under test control.</summary>
public sealed class ScriptedSession
{
    private readonly WebSocket _socket;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedSession(WebSocket socket) => _socket = socket;

    public Task Ended => _ended.Task;

    /// <summary>The next text frame from the client, as (type, receiver, content, mid).</summary>
    public async Task<(int Type, ulong? Receiver, string Content, string Mid)> ReceiveAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).AsTask().WaitAsync(limit)
                .ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("the client closed the session");
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                break;
            }
        }

        using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
        var root = document.RootElement;
        return (
            root.GetProperty("type").GetInt32(),
            root.TryGetProperty("receiver", out var r) ? r.GetUInt64() : null,
            root.GetProperty("content").GetString()!,
            root.GetProperty("mid").GetString()!);
    }

    /// <summary>Writes a system message (type 2 from the server) with <paramref name="content"/>.</summary>
    public Task AnswerAsync(ulong receiver, string content) =>
        _socket.SendAsync(
            Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = 2, sender = 0, receiver, content })),
            WebSocketMessageType.Text,
            endOfMessage: true,
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Writes <paramref name="json"/> as one text frame (e.g. a resume header or a stored message).</summary>
    public Task SendTextAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Closes the session with <paramref name="status"/> and <paramref name="reason"/>, as the relay does.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        await _socket.CloseOutputAsync(status, reason, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        _ended.TrySetResult();
    }

    /// <summary>Cuts the connection without a close frame (what the client sees as 1006).</summary>
    public void Abort()
    {
        _socket.Abort();
        _ended.TrySetResult();
    }
}
