namespace Akka.Relay.Bench.Connection;

/// <summary>A session could not be opened; <see cref="Reason"/> is a short, countable cause (<c>http-429</c>, <c>refused</c>, <c>timeout</c> …).</summary>
public sealed class ConnectException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConnectException(string reason, string message, Exception? inner)
        : base(message, inner)
    {
        Reason = reason;
    }

    /// <summary>The short cause, used as a counter key.</summary>
    public string Reason { get; }
}
