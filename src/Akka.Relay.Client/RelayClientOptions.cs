using System.Net.WebSockets;

namespace Akka.Relay.Client;

/// <summary>Settings of a <see cref="RelayClient"/>; every one has a default that suits the server's defaults.</summary>
public sealed class RelayClientOptions
{
    /// <summary>
    /// Returns the token for the next handshake (sent as <c>Authorization: Bearer</c>); called before every connect
    /// and reconnect, so it can hand out a fresh one. Null: no token.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? TokenProvider { get; set; }

    /// <summary>How many handshakes in a row may be refused with 401 before the client gives up (Closed).</summary>
    public int MaxAuthAttempts { get; set; } = 3;

    /// <summary>Ask for inbox resume (protocol 1.1): connect with <c>?resume=&lt;seq&gt;&amp;epoch=&lt;e&gt;</c>.</summary>
    public bool Resume { get; set; }

    /// <summary>Where the resume position survives a restart of the application; null keeps it in memory only.</summary>
    public IRelayPositionStore? PositionStore { get; set; }

    /// <summary>The first reconnect delay; each failed attempt doubles it, up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The cap of the reconnect delay.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of the first connect (inside <see cref="RelayClient.ConnectAsync"/>) before it throws.</summary>
    public int MaxInitialConnectAttempts { get; set; } = 3;

    /// <summary>Attempts per reconnect before the client gives up (Closed); null retries until disposed.</summary>
    public int? MaxReconnectAttempts { get; set; }

    /// <summary>Reconnect after a 1008 <c>slow consumer</c> close (the session was really behind; resume fetches what it missed).</summary>
    public bool ReconnectOnSlowConsumer { get; set; } = true;

    /// <summary>Reconnect after a 1008 <c>rate limit exceeded</c> close. Off by default: the application sent too fast, and resending would only repeat it.</summary>
    public bool ReconnectOnRateLimitExceeded { get; set; }

    /// <summary>Messages read from the socket and not yet taken by <see cref="RelayClient.ReadAllAsync"/>; when full, the client stops reading the socket.</summary>
    public int ReceiveBufferCapacity { get; set; } = 1024;

    /// <summary>The server's <c>Relay:MaxMessageBytes</c>: a SEND or BROADCAST over it is refused before writing (the server would close the session).</summary>
    public int MaxMessageBytes { get; set; } = 512;

    /// <summary>How often the client pings the server itself.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the client waits for the server's Pong before it drops the connection and reconnects.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one handshake may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Last changes to the socket options before each handshake (e.g. an <c>Origin</c> header, a proxy).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>
    /// Other nodes of the same cluster (base URIs like the first server): a handshake that fails moves on to the next
    /// one, in turn, so a client whose node died resumes on another. Empty: only the first server.
    /// </summary>
    public IList<Uri> FallbackServers { get; } = new List<Uri>();
}
