using System.Buffers.Text;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Akka.Relay.Server.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// Accepts a checked WebSocket handshake. For HTTP/1.1 it answers the upgrade itself (RFC 6455 §4.2.2: 101 with
/// <c>Sec-WebSocket-Accept</c>) and builds the socket on a <see cref="HeartbeatStream"/>, so that the node's
/// <see cref="HeartbeatScheduler"/> pings it instead of a timer of its own. Anything else (a WebSocket over HTTP/2)
/// goes through ASP.NET's accept with the WebSocket's own keep-alive.
/// </summary>
public sealed class WebSocketUpgrade
{
    // A Sec-WebSocket-Key is 16 bytes in base64 (RFC 6455 §4.2.1): 24 characters.
    private const int KeyBytes = 16;
    private const int KeyLength = 24;

    // 20 bytes of SHA-1 in base64.
    private const int AcceptLength = 28;

    // RFC 6455 §1.3: the GUID appended to the client's key.
    private static ReadOnlySpan<byte> AcceptGuid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    // The 101 answer around its accept value, written straight into the connection's output.
    private static ReadOnlySpan<byte> SwitchingProtocols => "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "u8;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    private static readonly WebSocketCreationOptions CreationOptions = new()
    {
        IsServer = true,
        // No timer per socket: the scheduler pings.
        KeepAliveInterval = TimeSpan.Zero,
    };

    private readonly HeartbeatScheduler _heartbeats;
    private readonly IOptions<RelayOptions> _options;

    /// <summary>Creates the upgrade step.</summary>
    public WebSocketUpgrade(HeartbeatScheduler heartbeats, IOptions<RelayOptions> options)
    {
        _heartbeats = heartbeats;
        _options = options;
    }

    /// <summary>
    /// Answers the handshake (already checked to be a WebSocket request) and returns the session's socket, and its
    /// heartbeat when the scheduler pings it: give that to <see cref="Release"/> once the session has ended.
    /// </summary>
    internal async Task<(WebSocket Socket, HeartbeatStream? Heartbeat)> AcceptAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            var options = _options.Value;
            return (await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = options.PingInterval,
                KeepAliveTimeout = options.PongTimeout,
            }), null);
        }

        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        var transport = await upgrade.UpgradeAsync();
        var (socket, heartbeat) = Open(new HeartbeatStream(transport, context.Abort));
        return (socket, heartbeat);
    }

    /// <summary>
    /// Answers a checked handshake read off a connection below HTTP (its head already consumed) with the 101 itself,
    /// and returns the session's socket on the connection's transport and its heartbeat.
    /// </summary>
    internal async Task<(WebSocket Socket, HeartbeatStream Heartbeat)> AcceptAsync(ConnectionContext connection, string key)
    {
        var output = connection.Transport.Output;
        WriteSwitchingProtocols(output, key);
        await output.FlushAsync(connection.ConnectionClosed);
        return Open(new HeartbeatStream(connection));
    }

    private (WebSocket Socket, HeartbeatStream Heartbeat) Open(HeartbeatStream stream)
    {
        var socket = WebSocket.CreateFromStream(stream, CreationOptions);
        stream.Attach(socket);
        _heartbeats.Add(stream);
        return (socket, stream);
    }

    /// <summary>Stops pinging a session's socket.</summary>
    internal void Release(HeartbeatStream? heartbeat)
    {
        if (heartbeat is not null)
        {
            _heartbeats.Remove(heartbeat);
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> is a <c>Sec-WebSocket-Key</c>: exactly the 24 characters of 16 bytes' base64
    /// (<see cref="Convert"/> also takes whitespace inside, which no key has).
    /// </summary>
    internal static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[KeyBytes + 2];
        return key.Length == KeyLength && Convert.TryFromBase64String(key, decoded, out var written) && written == KeyBytes;
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for a client's <c>Sec-WebSocket-Key</c> (checked by <see cref="IsValidKey"/>).</summary>
    internal static string AcceptKey(string key)
    {
        Span<byte> accept = stackalloc byte[AcceptLength];
        WriteAcceptKey(key, accept);
        return Encoding.ASCII.GetString(accept);
    }

    private static void WriteSwitchingProtocols(PipeWriter output, string key)
    {
        var acceptEnd = SwitchingProtocols.Length + AcceptLength;
        var head = output.GetSpan(acceptEnd + EndOfHead.Length);
        SwitchingProtocols.CopyTo(head);
        WriteAcceptKey(key, head[SwitchingProtocols.Length..acceptEnd]);
        EndOfHead.CopyTo(head[acceptEnd..]);
        output.Advance(acceptEnd + EndOfHead.Length);
    }

    private static void WriteAcceptKey(string key, Span<byte> accept)
    {
        Span<byte> input = stackalloc byte[KeyLength + AcceptGuid.Length];
        var length = Encoding.ASCII.GetBytes(key, input);
        AcceptGuid.CopyTo(input[length..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(length + AcceptGuid.Length)], hash);
        Base64.EncodeToUtf8(hash, accept, out _, out _);
    }
}
