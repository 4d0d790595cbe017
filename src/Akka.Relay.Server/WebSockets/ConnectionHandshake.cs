using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.WebUtilities;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// A handshake read off a new connection below HTTP (<see cref="UpgradeBelowHttp"/>). The checks run on a request
/// built from its head, dropped once the handshake is answered, so a session keeps no HTTP request alive; the answer
/// is written to the connection's transport, a refusal with <c>Connection: close</c>.
/// </summary>
internal sealed class ConnectionHandshake : IHandshakeExchange, IAsyncDisposable
{
    private readonly ConnectionContext _connection;
    private readonly WebSocketUpgrade _upgrade;
    private readonly string _key;
    private AsyncServiceScope? _scope;
    private HttpContext? _context;

    /// <summary>Builds the handshake of <paramref name="head"/>, read off <paramref name="connection"/>.</summary>
    public ConnectionHandshake(ConnectionContext connection, RequestHead head, WebSocketUpgrade upgrade, IServiceScopeFactory scopes)
    {
        _connection = connection;
        _upgrade = upgrade;
        _scope = scopes.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = _scope.Value.ServiceProvider };
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = "http";
        request.Protocol = head.Protocol;
        request.Path = new PathString(head.Path);
        request.QueryString = new QueryString(head.Query);
        foreach (var (name, value) in head.Headers)
        {
            request.Headers[name] = value;
        }

        _key = request.Headers.SecWebSocketKey.ToString();
        RouteId = head.Id;
        IsWebSocketRequest = IsSupportedUpgrade(request);
        _context = context;
    }

    /// <inheritdoc />
    public HttpContext Context => _context ?? throw new InvalidOperationException("The handshake has been answered.");

    /// <inheritdoc />
    public string? RouteId { get; }

    /// <inheritdoc />
    public bool IsWebSocketRequest { get; }

    /// <inheritdoc />
    // Kestrel's id of the connection's first request, so its connection-level lines and the session's match up.
    public string TraceIdentifier => _connection.ConnectionId + ":00000001";

    /// <inheritdoc />
    public CancellationToken Aborted => _connection.ConnectionClosed;

    /// <inheritdoc />
    public async Task RefuseAsync(int status, string error)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new HandshakeError(error), JsonSerializerOptions.Web);
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrases.GetReasonPhrase(status)).Append("\r\n")
            .Append("Content-Type: application/json; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            // The connection carried no HTTP request Kestrel knows of: it ends with this answer.
            .Append("Connection: close\r\n");
        foreach (var (name, value) in Context.Response.Headers)
        {
            head.Append(name).Append(": ").Append(value.ToString()).Append("\r\n");
        }

        head.Append("\r\n");
        var output = _connection.Transport.Output;
        output.Write(Encoding.ASCII.GetBytes(head.ToString()));
        output.Write(body);
        await output.FlushAsync(_connection.ConnectionClosed);
        await DropRequestAsync();
    }

    /// <inheritdoc />
    public async Task<(WebSocket Socket, HeartbeatStream? Heartbeat)> AcceptAsync()
    {
        await DropRequestAsync();
        return await _upgrade.AcceptAsync(_connection, _key);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DropRequestAsync();

    private async ValueTask DropRequestAsync()
    {
        _context = null;
        if (_scope is { } scope)
        {
            _scope = null;
            await scope.DisposeAsync();
        }
    }

    // What ASP.NET's IsWebSocketRequest checks (RFC 6455 4.2.1): GET, Connection naming Upgrade, Upgrade naming
    // websocket, version 13 and a key of 16 bytes.
    private static bool IsSupportedUpgrade(HttpRequest request)
    {
        var headers = request.Headers;
        return HttpMethods.IsGet(request.Method)
            && headers.GetCommaSeparatedValues("Connection").Any(v => string.Equals(v, "Upgrade", StringComparison.OrdinalIgnoreCase))
            && headers.GetCommaSeparatedValues("Upgrade").Any(v => string.Equals(v, "websocket", StringComparison.OrdinalIgnoreCase))
            && headers.SecWebSocketVersion.ToString() == "13"
            && WebSocketUpgrade.IsValidKey(headers.SecWebSocketKey.ToString());
    }
}
