namespace Akka.Relay.Client;

/// <summary>How the server answered one SEND.</summary>
public enum SendOutcome
{
    /// <summary><c>success send</c>: handed to every live session of the receiver.</summary>
    Delivered,

    /// <summary><c>stored</c> (protocol 1.1): kept in the receiver's inbox until it resumes.</summary>
    Stored,

    /// <summary><c>not online</c>: the receiver has no session and no inbox; nothing was kept.</summary>
    NotOnline,

    /// <summary>Refused (by the server or before writing); <see cref="SendResult.Reason"/> says why.</summary>
    Error,
}

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
