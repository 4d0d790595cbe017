using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Akka.Relay.Actors.Tests;

/// <summary>
/// Two real WebSockets connected over loopback TCP: <see cref="Server"/> is handed to the
/// actor under test, <see cref="Client"/> is driven by the test. No keep-alive pings.
/// </summary>
internal sealed class WebSocketPair : IAsyncDisposable
{
    private readonly TcpClient _serverTcp;
    private readonly TcpClient _clientTcp;

    private WebSocketPair(TcpClient serverTcp, TcpClient clientTcp)
    {
        _serverTcp = serverTcp;
        _clientTcp = clientTcp;
        Server = WebSocket.CreateFromStream(
            serverTcp.GetStream(),
            new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        Client = WebSocket.CreateFromStream(
            clientTcp.GetStream(),
            new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    /// <summary>The server end, given to the ClientActor via AttachSocket.</summary>
    public WebSocket Server { get; }

    /// <summary>The client end, driven by the test.</summary>
    public WebSocket Client { get; }

    public static async Task<WebSocketPair> CreateAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accept = listener.AcceptTcpClientAsync();
            var clientTcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
            await clientTcp.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            var serverTcp = await accept.ConfigureAwait(false);
            serverTcp.NoDelay = true;
            return new WebSocketPair(serverTcp, clientTcp);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Drops the client's TCP connection without any close frame.</summary>
    public void DropClient()
    {
        Client.Dispose();
        _clientTcp.Dispose();
    }

    /// <summary>Closes the server's TCP connection, as Kestrel does once the WebSocket request returns.</summary>
    public void CloseServerConnection() => _serverTcp.Dispose();

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        _clientTcp.Dispose();
        _serverTcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One whole message as the client saw it (data reassembled across frames, or a close).</summary>
internal sealed record ReceivedMessage(
    WebSocketMessageType Type,
    byte[] Bytes,
    WebSocketCloseStatus? CloseStatus,
    string? CloseDescription)
{
    public string Text => Encoding.UTF8.GetString(Bytes);
}

/// <summary>What the client read up to and including the server's close frame.</summary>
internal sealed record ReceivedUntilClose(
    IReadOnlyList<ReceivedMessage> Messages,
    WebSocketCloseStatus? CloseStatus,
    string? CloseDescription);

internal static class WebSocketTestExtensions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Reads one whole message (or the close frame), failing after <paramref name="timeout"/>.</summary>
    public static Task<ReceivedMessage> ReceiveMessageAsync(this WebSocket socket, TimeSpan? timeout = null) =>
        ReceiveCoreAsync(socket).WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Reads one whole message, asserts it is a text message, and returns it as a string.</summary>
    public static async Task<string> ReceiveTextAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        var message = await socket.ReceiveMessageAsync(timeout).ConfigureAwait(false);
        Assert.True(
            message.Type == WebSocketMessageType.Text,
            $"expected a text message, got {message.Type} (close status {message.CloseStatus}, '{message.CloseDescription}')");
        return message.Text;
    }

    /// <summary>Reads every data message until the server's close frame arrives.</summary>
    public static Task<ReceivedUntilClose> ReceiveUntilCloseAsync(this WebSocket socket, TimeSpan? timeout = null) =>
        ReceiveUntilCloseCoreAsync(socket).WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Sends one whole text message.</summary>
    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None)
            .WaitAsync(DefaultTimeout);

    /// <summary>Answers the server's close frame, completing the close handshake from the client side.</summary>
    public static Task ReplyToCloseAsync(this WebSocket socket) =>
        socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None)
            .WaitAsync(DefaultTimeout);

    private static async Task<ReceivedMessage> ReceiveCoreAsync(WebSocket socket)
    {
        var buffer = new byte[4096];
        using var bytes = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new ReceivedMessage(WebSocketMessageType.Close, [], socket.CloseStatus, socket.CloseStatusDescription);
            }

            bytes.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return new ReceivedMessage(result.MessageType, bytes.ToArray(), null, null);
            }
        }
    }

    private static async Task<ReceivedUntilClose> ReceiveUntilCloseCoreAsync(WebSocket socket)
    {
        var messages = new List<ReceivedMessage>();
        while (true)
        {
            var message = await ReceiveCoreAsync(socket).ConfigureAwait(false);
            if (message.Type == WebSocketMessageType.Close)
            {
                return new ReceivedUntilClose(messages, message.CloseStatus, message.CloseDescription);
            }

            messages.Add(message);
        }
    }
}
