namespace Akka.Relay.Bench;

/// <summary>The run could not start (server unreachable, a client could not connect); exit code 2.</summary>
public sealed class SetupException(string message, Exception? inner = null) : Exception(message, inner);
