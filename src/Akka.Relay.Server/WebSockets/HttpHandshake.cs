using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Features;

namespace Akka.Relay.Server.WebSockets;

/// <summary>A handshake that came through ASP.NET's pipeline (a later request on a kept-alive connection, HTTP/2, or with the path below HTTP off).</summary>
internal sealed class HttpHandshake : IHandshakeExchange
{
    private readonly WebSocketUpgrade _upgrade;

    /// <summary>Wraps <paramref name="context"/>.</summary>
    public HttpHandshake(HttpContext context, WebSocketUpgrade upgrade)
    {
        Context = context;
        _upgrade = upgrade;
    }

    /// <inheritdoc />
    public HttpContext Context { get; }

    /// <inheritdoc />
    public string? RouteId => Context.Request.RouteValues["id"] as string;

    /// <inheritdoc />
    public bool IsWebSocketRequest =>
        Context.WebSockets.IsWebSocketRequest
        // ASP.NET takes a key with whitespace inside; an HTTP/1.1 upgrade is answered with its accept value here.
        && (Context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } || WebSocketUpgrade.IsValidKey(Context.Request.Headers.SecWebSocketKey.ToString()));

    /// <inheritdoc />
    public string TraceIdentifier => Context.TraceIdentifier;

    /// <inheritdoc />
    public CancellationToken Aborted => Context.RequestAborted;

    /// <inheritdoc />
    public Task RefuseAsync(int status, string error)
    {
        Context.Response.StatusCode = status;
        return Context.Response.WriteAsJsonAsync(new HandshakeError(error));
    }

    /// <inheritdoc />
    public Task<(WebSocket Socket, HeartbeatStream? Heartbeat)> AcceptAsync() => _upgrade.AcceptAsync(Context);
}
