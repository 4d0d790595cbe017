using System.Buffers.Text;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Akka.Relay.Bench.Connection;

/// <summary>
/// Opens client WebSocket sessions with as little client-side work as possible: a TCP socket
/// (<c>TCP_NODELAY</c>, optionally bound to the next of several source addresses: 127.0.0.2,
/// 127.0.0.3 … each add ~28k ephemeral ports), a hand-written RFC 6455 upgrade request, a check of
/// the 101 answer and its <c>Sec-WebSocket-Accept</c>, then <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>
/// over a read-buffered stream.
/// </summary>
/// <remarks>
/// <see cref="ClientWebSocket"/> goes through the whole HttpClient pipeline for every handshake and
/// its WebSocket reads the socket at least twice per frame (header, then payload); measured here it
/// cost the load generator about as much CPU per handshake as the server under test, so the tool
/// would have measured itself.
/// </remarks>
public sealed class ConnectionFactory : IDisposable
{
    // Linux: let connect() pick the port for a bound address, so TIME_WAIT ports can be reused.
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;
    private const int MaxResponseHeaderBytes = 8192;
    private static readonly byte[] AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8.ToArray();

    private readonly IPAddress[] _sources;
    private readonly Auth.TokenMinter? _tokens;
    private int _nextSource = -1;

    /// <summary>
    /// Creates the factory; <paramref name="sourceAddresses"/> may be empty (kernel's choice). With
    /// <paramref name="tokens"/>, every handshake carries a token for its user as <c>access_token</c>.
    /// </summary>
    public ConnectionFactory(IReadOnlyList<IPAddress> sourceAddresses, Auth.TokenMinter? tokens = null)
    {
        _sources = sourceAddresses.ToArray();
        _tokens = tokens;
    }

    /// <summary>The URI of user <paramref name="userId"/>'s session on the server at <paramref name="server"/>.</summary>
    public static Uri SessionUri(Uri server, ulong userId)
    {
        var prefix = server.AbsolutePath.TrimEnd('/');
        return new Uri($"{server.Scheme}://{server.Authority}{prefix}/ws/{userId}");
    }

    /// <summary>The query of a session that opts in to its inbox with nothing processed yet (protocol 1.1, 9.2).</summary>
    public const string ResumeFromStart = "resume=0";

    /// <summary>
    /// Connects and upgrades; throws <see cref="HandshakeException"/> for a non-101 answer or a bad
    /// upgrade, <see cref="SocketException"/>/<see cref="IOException"/> for transport failures.
    /// <paramref name="query"/> (e.g. <see cref="ResumeFromStart"/>) goes into the session's URL, before any token.
    /// </summary>
    public async Task<WebSocket> OpenAsync(Uri server, ulong userId, int receiveBufferSize, CancellationToken cancellationToken, string? query = null)
    {
        var session = SessionUri(server, userId);
        var parts = new List<string>(2);
        if (query is not null)
        {
            parts.Add(query);
        }

        if (_tokens is not null)
        {
            parts.Add("access_token=" + _tokens.Mint(userId));
        }

        if (parts.Count > 0)
        {
            session = new UriBuilder(session) { Query = string.Join('&', parts) }.Uri;
        }

        var addresses = IPAddress.TryParse(session.IdnHost.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(session.IdnHost, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var address = addresses[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            var source = NextSource(address.AddressFamily);
            if (source is not null)
            {
                if (OperatingSystem.IsLinux() && address.AddressFamily == AddressFamily.InterNetwork)
                {
                    socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
                }

                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(address, session.Port), cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (session.Scheme == "wss")
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = session.IdnHost }, cancellationToken).ConfigureAwait(false);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = Encoding.ASCII.GetBytes(
                $"GET {session.PathAndQuery} HTTP/1.1\r\nHost: {session.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);

            var buffered = new ReadBufferedStream(stream, receiveBufferSize);
            var header = await buffered.ReadHeaderAsync(MaxResponseHeaderBytes, cancellationToken).ConfigureAwait(false);
            CheckUpgrade(header, key);
            return WebSocket.CreateFromStream(buffered, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static void CheckUpgrade(string header, string key)
    {
        // "HTTP/1.1 101 Switching Protocols"
        var lines = header.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out var code))
        {
            throw new HandshakeException(0, $"not an HTTP response: '{lines[0]}'");
        }

        if (code != 101)
        {
            throw new HandshakeException(code, $"HTTP {code} instead of 101");
        }

        string? accept = null;
        var upgrade = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value.Equals("websocket", StringComparison.OrdinalIgnoreCase);
            }
        }

        Span<byte> input = stackalloc byte[24 + 36];
        Encoding.ASCII.GetBytes(key, input);
        AcceptGuid.CopyTo(input[24..]);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
        Span<byte> expected = stackalloc byte[28];
        Base64.EncodeToUtf8(hash, expected, out _, out _);
        if (!upgrade || accept is null || !Encoding.ASCII.GetBytes(accept).AsSpan().SequenceEqual(expected))
        {
            throw new HandshakeException(101, "101 without a valid Upgrade / Sec-WebSocket-Accept");
        }
    }

    private IPAddress? NextSource(AddressFamily family)
    {
        if (_sources.Length == 0)
        {
            return null;
        }

        var index = (int)((uint)Interlocked.Increment(ref _nextSource) % (uint)_sources.Length);
        var source = _sources[index];
        return source.AddressFamily == family ? source : null;
    }
}

/// <summary>The server did not upgrade: <see cref="Status"/> is its HTTP status (0: not HTTP, 101: bad upgrade headers).</summary>
public sealed class HandshakeException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status the server answered with.</summary>
    public int Status { get; } = status;
}
