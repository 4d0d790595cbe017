namespace Akka.Relay.Client;

/// <summary>The answer to one <see cref="RelayClient.SendAsync"/>.</summary>
public sealed record SendResult(SendOutcome Outcome, string? Reason = null)
{
    /// <summary>The shared <c>success send</c> result.</summary>
    public static readonly SendResult Delivered = new(SendOutcome.Delivered);

    /// <summary>The shared <c>stored</c> result.</summary>
    public static readonly SendResult Stored = new(SendOutcome.Stored);

    /// <summary>The shared <c>not online</c> result.</summary>
    public static readonly SendResult NotOnline = new(SendOutcome.NotOnline);

    /// <summary>A refusal with its reason (the server's text after <c>error: </c>, or the client's own).</summary>
    public static SendResult Error(string reason) => new(SendOutcome.Error, reason);
}
