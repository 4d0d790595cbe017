using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>What a test client saw: a text message, or the server's close.</summary>
public sealed record Received(string? Text, WebSocketCloseStatus? CloseStatus, string? CloseDescription, bool Aborted)
{
    /// <summary>True when this is the end of the connection (close frame or abort).</summary>
    public bool IsEnd => Text is null;
}

/// <summary>A real ClientWebSocket with helpers for sending JSON and awaiting what arrives.</summary>
public sealed class TestClient : IAsyncDisposable
{
    /// <summary>How long a test waits for something that should arrive.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<Received> _inbox = Channel.CreateUnbounded<Received>();
    private Task? _readLoop;

    private TestClient(ClientWebSocket socket)
    {
        Socket = socket;
    }

    /// <summary>The underlying socket.</summary>
    public ClientWebSocket Socket { get; }

    /// <summary>Connects to <paramref name="uri"/>; with <paramref name="autoRead"/> a loop reads everything into an inbox.</summary>
    public static async Task<TestClient> ConnectAsync(Uri uri, bool autoRead, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        var client = new TestClient(socket);
        if (autoRead)
        {
            client.StartReading();
        }

        return client;
    }

    /// <summary>Starts (or resumes) the read loop.</summary>
    public void StartReading() => _readLoop ??= Task.Run(ReadLoopAsync);

    /// <summary>Sends one text message.</summary>
    public Task SendTextAsync(string text) => SendBytesAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends raw bytes as one text message.</summary>
    public async Task SendBytesAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await Socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>Sends a SEND to <paramref name="receiver"/>.</summary>
    public Task SendToAsync(ulong receiver, string content) =>
        SendTextAsync(JsonSerializer.Serialize(new { type = 1, receiver, content }));

    /// <summary>Sends a BROADCAST.</summary>
    public Task BroadcastAsync(string content) =>
        SendTextAsync(JsonSerializer.Serialize(new { type = 3, content }));

    /// <summary>The next thing that arrives (message or end), or fails after <paramref name="timeout"/>.</summary>
    public async Task<Received> ReceiveAsync(TimeSpan? timeout = null)
    {
        StartReading();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _inbox.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing arrived within {timeout ?? DefaultTimeout}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("the connection has already ended and everything was read");
        }
    }

    /// <summary>The next text message, parsed; fails if the connection ends instead.</summary>
    public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? timeout = null)
    {
        var received = await ReceiveAsync(timeout);
        Assert.False(received.IsEnd, $"expected a message, got the end of the connection ({received.CloseStatus} {received.CloseDescription})");
        using var document = JsonDocument.Parse(received.Text!);
        return document.RootElement.Clone();
    }

    /// <summary>Skips messages until the connection ends; returns how it ended.</summary>
    public async Task<Received> ReceiveEndAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            var received = await ReceiveAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
            if (received.IsEnd)
            {
                return received;
            }
        }
    }

    /// <summary>Starts the close handshake and waits for the server's answer.</summary>
    public async Task CloseAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        if (_readLoop is not null)
        {
            await _readLoop.WaitAsync(DefaultTimeout);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await CloseAsync();
            }
            catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
            {
                Socket.Abort();
            }
        }

        Socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _inbox.Writer.WriteAsync(new Received(null, Socket.CloseStatus, Socket.CloseStatusDescription, false));
                    return;
                }

                await _inbox.Writer.WriteAsync(new Received(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length), null, null, false));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            await _inbox.Writer.WriteAsync(new Received(null, Socket.CloseStatus, Socket.CloseStatusDescription, true));
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}
