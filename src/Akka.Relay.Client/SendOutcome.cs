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
