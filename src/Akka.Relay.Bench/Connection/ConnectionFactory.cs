using System.Net;
using System.Net.Sockets;

namespace Akka.Relay.Bench.Connection;

/// <summary>
/// Opens TCP connections for the WebSocket handshakes: one shared <see cref="SocketsHttpHandler"/>
/// whose connect callback sets <c>TCP_NODELAY</c> and, when source addresses are given, binds each
/// new socket to the next one of them (127.0.0.2, 127.0.0.3 … each add ~28k ephemeral ports).
/// </summary>
public sealed class ConnectionFactory : IDisposable
{
    // Linux: let connect() pick the port for a bound address, so TIME_WAIT ports can be reused.
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private readonly IPAddress[] _sources;
    private readonly SocketsHttpHandler _handler;
    private int _nextSource = -1;

    /// <summary>Creates the factory; <paramref name="sourceAddresses"/> may be empty (kernel's choice).</summary>
    public ConnectionFactory(IReadOnlyList<IPAddress> sourceAddresses)
    {
        _sources = sourceAddresses.ToArray();
        _handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = ConnectAsync,
            ConnectTimeout = Timeout.InfiniteTimeSpan,
        };
        Invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
    }

    /// <summary>The invoker every <see cref="System.Net.WebSockets.ClientWebSocket"/> connects through.</summary>
    public HttpMessageInvoker Invoker { get; }

    /// <summary>The URI of user <paramref name="userId"/>'s session on the server at <paramref name="server"/>.</summary>
    public static Uri SessionUri(Uri server, ulong userId)
    {
        var prefix = server.AbsolutePath.TrimEnd('/');
        return new Uri($"{server.Scheme}://{server.Authority}{prefix}/ws/{userId}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Invoker.Dispose();
        _handler.Dispose();
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var target = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(target.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(target.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var address = addresses[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
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

            await socket.ConnectAsync(new IPEndPoint(address, target.Port), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
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
