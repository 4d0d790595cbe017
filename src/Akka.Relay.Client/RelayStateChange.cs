using System.Net;
using System.Net.WebSockets;

namespace Akka.Relay.Client;

/// <summary>
/// A change of <see cref="RelayClient.State"/>, with why the previous session ended: its close code and reason
/// (e.g. 1001 <c>server shutting down</c>, 1008 <c>slow consumer</c>), the HTTP status of a refused handshake,
/// or the error that cut the connection.
/// </summary>
public sealed record RelayStateChange(
    RelayConnectionState State,
    WebSocketCloseStatus? CloseStatus = null,
    string? CloseReason = null,
    HttpStatusCode? HandshakeStatus = null,
    Exception? Error = null);
