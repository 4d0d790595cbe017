using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Akka.Relay.Testing.Server;

/// <summary>What a test client saw: a text message, or the server's close.</summary>
public sealed record Received(string? Text, WebSocketCloseStatus? CloseStatus, string? CloseDescription, bool Aborted)
{
    /// <summary>True when this is the end of the connection (close frame or abort).</summary>
    public bool IsEnd => Text is null;

    /// <summary>A readable form for assertion messages.</summary>
    public override string ToString() =>
        Text ?? (Aborted ? $"<aborted, close status {CloseStatus}>" : $"<close {(int?)CloseStatus} '{CloseDescription}'>");
}

/// <summary>A real ClientWebSocket with methods for sending JSON and awaiting what arrives.</summary>
public sealed class TestClient : IAsyncDisposable
{
    /// <summary>How long a test waits for something that should arrive.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<Received> _inbox = Channel.CreateUnbounded<Received>();
    private readonly HttpMessageInvoker? _invoker;
    private Task? _readLoop;

    private TestClient(ClientWebSocket socket, HttpMessageInvoker? invoker)
    {
        Socket = socket;
        _invoker = invoker;
    }

    /// <summary>The underlying socket.</summary>
    public ClientWebSocket Socket { get; }

    /// <summary>When true (the default), a close frame from the server is answered, as browsers do.</summary>
    public bool AnswerClose { get; set; } = true;

    /// <summary>Connects to <paramref name="uri"/>; with <paramref name="autoRead"/> a loop reads everything into an inbox.</summary>
    /// <param name="uri">The ws:// URI.</param>
    /// <param name="autoRead">Start the read loop at once.</param>
    /// <param name="configure">Extra client options (headers, keep-alive).</param>
    /// <param name="receiveBufferBytes">When set, the client's TCP receive buffer (SO_RCVBUF) is made this small,
    /// so that a client that does not read stops accepting data after few bytes.</param>
    public static async Task<TestClient> ConnectAsync(Uri uri, bool autoRead, Action<ClientWebSocketOptions>? configure = null, int? receiveBufferBytes = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        HttpMessageInvoker? invoker = null;
        try
        {
            if (receiveBufferBytes is { } size)
            {
                var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (context, token) =>
                    {
                        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = size };
                        try
                        {
                            await tcp.ConnectAsync(context.DnsEndPoint, token);
                            return new NetworkStream(tcp, ownsSocket: true);
                        }
                        catch
                        {
                            tcp.Dispose();
                            throw;
                        }
                    },
                };
                invoker = new HttpMessageInvoker(handler);
                await socket.ConnectAsync(uri, invoker, timeout.Token);
            }
            else
            {
                await socket.ConnectAsync(uri, timeout.Token);
            }
        }
        catch
        {
            socket.Dispose();
            invoker?.Dispose();
            throw;
        }

        var client = new TestClient(socket, invoker);
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

    /// <summary>Sends raw bytes as one message (one frame).</summary>
    public async Task SendBytesAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await Socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>Sends one message as several frames: every fragment but the last has FIN clear.</summary>
    public async Task SendFragmentsAsync(IReadOnlyList<byte[]> fragments, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        for (var i = 0; i < fragments.Count; i++)
        {
            await Socket.SendAsync(fragments[i], type, endOfMessage: i == fragments.Count - 1, timeout.Token);
        }
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

    /// <summary>Something that has already arrived, without waiting.</summary>
    public bool TryReceive(out Received received)
    {
        if (_inbox.Reader.TryRead(out var item))
        {
            received = item;
            return true;
        }

        received = null!;
        return false;
    }

    /// <summary>The next text message; fails if the connection ends instead.</summary>
    public async Task<string> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        var received = await ReceiveAsync(timeout);
        Assert.False(received.IsEnd, $"expected a message, got the end of the connection: {received}");
        return received.Text!;
    }

    /// <summary>The next text message, parsed; fails if the connection ends instead.</summary>
    public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? timeout = null)
    {
        var text = await ReceiveTextAsync(timeout);
        using var document = JsonDocument.Parse(text);
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
    public async Task CloseAsync(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, string description = "bye")
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await Socket.CloseOutputAsync(status, description, timeout.Token);
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
            catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException or IOException or InvalidOperationException)
            {
                Socket.Abort();
            }
        }

        Socket.Dispose();
        _invoker?.Dispose();
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
                    var ended = new Received(null, Socket.CloseStatus, Socket.CloseStatusDescription, false);
                    if (AnswerClose && Socket.State == WebSocketState.CloseReceived)
                    {
                        try
                        {
                            using var timeout = new CancellationTokenSource(DefaultTimeout);
                            await Socket.CloseOutputAsync(Socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, string.Empty, timeout.Token);
                        }
                        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
                        {
                            // The server went away before our answer: the close it sent is still what we saw.
                        }
                    }

                    await _inbox.Writer.WriteAsync(ended);
                    return;
                }

                await _inbox.Writer.WriteAsync(new Received(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length), null, null, false));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            await _inbox.Writer.WriteAsync(new Received(null, Socket.CloseStatus, Socket.CloseStatusDescription, true));
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}
