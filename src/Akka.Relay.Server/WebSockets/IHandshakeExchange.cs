using System.Net.WebSockets;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// One WebSocket handshake as <see cref="RelayWebSocketEndpoint"/> checks and answers it, whichever way it arrived:
/// as an ASP.NET request (<see cref="HttpHandshake"/>) or read off a new connection below HTTP
/// (<see cref="ConnectionHandshake"/>).
/// </summary>
internal interface IHandshakeExchange
{
    /// <summary>The request the checks read (method, protocol, headers, query) and the authenticator runs on; its response headers go out with a refusal.</summary>
    HttpContext Context { get; }

    /// <summary>The <c>{id}</c> of <c>/ws/{id}</c>, or null when the path has none.</summary>
    string? RouteId { get; }

    /// <summary>True when the request is a WebSocket upgrade ASP.NET would accept (GET, Upgrade, Connection, version 13, a valid key).</summary>
    bool IsWebSocketRequest { get; }

    /// <summary>The request's trace id (what ASP.NET's own lines carry as RequestId).</summary>
    string TraceIdentifier { get; }

    /// <summary>Cancelled when the client's connection goes away.</summary>
    CancellationToken Aborted { get; }

    /// <summary>Answers the handshake with <paramref name="status"/>, the response headers set on <see cref="Context"/> and <c>{"error": ...}</c>.</summary>
    Task RefuseAsync(int status, string error);

    /// <summary>Answers 101 and returns the session's socket, and its heartbeat when the node's scheduler pings it.</summary>
    Task<(WebSocket Socket, HeartbeatStream? Heartbeat)> AcceptAsync();
}
