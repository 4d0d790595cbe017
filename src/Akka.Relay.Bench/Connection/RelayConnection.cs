using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Akka.Relay.Bench.Connection;

/// <summary>
/// One client session over a real RFC 6455 WebSocket (see <see cref="ConnectionFactory"/>): connect to <c>/ws/{id}</c>, send
/// text frames (one sender at a time), run a receive loop that hands every message to a sink and
/// keeps a receive pending so the socket answers the server's pings, close.
/// </summary>
public sealed class RelayConnection : IDisposable
{
    private readonly WebSocket _socket;
    private volatile bool _closing;

    private RelayConnection(WebSocket socket, ulong userId, TimeSpan handshake)
    {
        _socket = socket;
        UserId = userId;
        Handshake = handshake;
    }

    /// <summary>The user id of the session.</summary>
    public ulong UserId { get; }

    /// <summary>How long the TCP connect and WebSocket handshake took.</summary>
    public TimeSpan Handshake { get; }

    /// <summary>True once the session ended without this side asking for it.</summary>
    public bool DroppedByServer { get; private set; }

    /// <summary>How the session ended (close status or exception), for the error counters.</summary>
    public string? EndReason { get; private set; }

    /// <summary>Opens a session for <paramref name="userId"/> on <paramref name="server"/>; throws <see cref="ConnectException"/>.</summary>
    /// <remarks><paramref name="query"/> is added to the session's URL (e.g. <see cref="ConnectionFactory.ResumeFromStart"/>).</remarks>
    public static async Task<RelayConnection> ConnectAsync(ConnectionFactory factory, Uri server, ulong userId, TimeSpan timeout, CancellationToken cancellationToken, int receiveBufferSize = 4096, string? query = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var socket = await factory.OpenAsync(server, userId, receiveBufferSize, cts.Token, query).ConfigureAwait(false);
            return new RelayConnection(socket, userId, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var reason = Classify(e, cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested);
            throw new ConnectException(reason, $"cannot open {ConnectionFactory.SessionUri(server, userId)}: {reason} ({e.GetBaseException().Message})", e);
        }
    }

    /// <summary>Sends one text frame. Never pass a token here: cancelling a send aborts the socket.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame) =>
        _socket.SendAsync(frame, WebSocketMessageType.Text, WebSocketMessageFlags.EndOfMessage, CancellationToken.None);

    /// <summary>
    /// Receives until the session ends, reassembling fragments and calling <paramref name="sink"/>
    /// for each message. Returns normally in every case; see <see cref="DroppedByServer"/>.
    /// </summary>
    public async Task ReceiveLoopAsync(IMessageSink sink, int bufferSize)
    {
        var buffer = new byte[bufferSize];
        var filled = 0;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    EndReason = $"close-{(int?)_socket.CloseStatus}";
                    break;
                }

                filled += result.Count;
                if (!result.EndOfMessage)
                {
                    if (filled == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    sink.OnMessage(buffer.AsSpan(0, filled));
                }

                filled = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            EndReason = e is WebSocketException ws ? $"ws-{ws.WebSocketErrorCode}" : e.GetType().Name;
        }

        DroppedByServer = !_closing;
    }

    /// <summary>Starts the close handshake and waits for the server's answer, at most <paramref name="timeout"/>; then aborts.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        _closing = true;
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            _socket.Abort();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _closing = true;
        _socket.Dispose();
    }

    private static string Classify(Exception e, bool timedOut)
    {
        if (timedOut)
        {
            return "timeout";
        }

        if (e is HandshakeException h)
        {
            return h.Status switch
            {
                0 => "not-http",
                101 => "bad-upgrade",
                _ => $"http-{h.Status}",
            };
        }

        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException se)
            {
                return se.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "refused",
                    SocketError.AddressNotAvailable => "address-not-available",
                    SocketError.TooManyOpenSockets => "too-many-open-files",
                    SocketError.TimedOut => "timeout",
                    SocketError.ConnectionReset => "reset",
                    _ => $"socket-{se.SocketErrorCode}",
                };
            }
        }

        return e is OperationCanceledException ? "cancelled" : e.GetBaseException().GetType().Name;
    }
}
