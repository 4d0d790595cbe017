namespace Akka.Relay.Server.WebSockets;

/// <summary>The JSON body of a refused handshake: <c>{"error": "..."}</c>.</summary>
internal sealed record HandshakeError(string Error);
