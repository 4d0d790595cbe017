namespace Akka.Relay.Bench;

/// <summary>The command line is wrong or asks for something the tool refuses; exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);
