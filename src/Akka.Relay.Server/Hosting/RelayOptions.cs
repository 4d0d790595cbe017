namespace Akka.Relay.Server.Hosting;

/// <summary>Application settings, bound from the <c>Relay</c> section (env: <c>Relay__MaxMessageBytes=1024</c>).</summary>
public sealed class RelayOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Relay";

    /// <summary>Largest accepted message after reassembly, in bytes; larger closes with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 512;

    /// <summary>How often the server pings an otherwise silent client.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(9);

    /// <summary>How long a client has to answer a ping before the session is dropped.</summary>
    public TimeSpan PongTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages queued for one session before it is closed as a slow consumer (1008).</summary>
    public int OutboundQueueCapacity { get; set; } = 1024;

    /// <summary>SENDs one session may have unanswered; at the limit the server reads nothing more from it until answers come back.</summary>
    public int MaxUnansweredSends { get; set; } = 64;

    /// <summary>Sessions one user id may hold at once; one more is refused with 429.</summary>
    public int MaxSessionsPerUser { get; set; } = 8;

    /// <summary>Origins allowed to open a session (exact match, case-insensitive); empty allows any.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a server-initiated close handshake may take before the connection is aborted.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for sessions to close with 1001 before the node stops anyway.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a drain spreads its 1001 closes over (evenly), so clients don't all reconnect at once; zero closes all at once.</summary>
    public TimeSpan DrainSpread { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a handshake waits for the hub to admit the session before answering 503.</summary>
    public TimeSpan AdmissionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Sessions this node holds at once; one more handshake is refused with 503. 0 means no limit.</summary>
    public int MaxSessions { get; set; }

    /// <summary>How long a connection may take to send its complete handshake request (or its first byte) before it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
