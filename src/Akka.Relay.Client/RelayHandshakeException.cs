using System.Net;

namespace Akka.Relay.Client;

/// <summary>The server refused the WebSocket handshake in a way a retry cannot fix (400, 401 after the token attempts, 403, 429).</summary>
public sealed class RelayHandshakeException : Exception
{
    /// <summary>Creates the exception for a refused handshake.</summary>
    public RelayHandshakeException(HttpStatusCode status, string message, Exception? inner = null)
        : base(message, inner) => Status = status;

    /// <summary>The HTTP status of the refusal.</summary>
    public HttpStatusCode Status { get; }
}
