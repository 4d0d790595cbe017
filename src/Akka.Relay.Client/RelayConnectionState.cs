namespace Akka.Relay.Client;

/// <summary>Where a <see cref="RelayClient"/>'s connection stands.</summary>
public enum RelayConnectionState
{
    /// <summary>The first connect is under way.</summary>
    Connecting,

    /// <summary>A session is open: sends are written and messages are read.</summary>
    Connected,

    /// <summary>The session ended; the client waits out its backoff and connects again.</summary>
    Reconnecting,

    /// <summary>Final: disposed, refused in a way a retry cannot fix, or out of attempts.</summary>
    Closed,
}
