namespace Akka.Relay.Server.Options;

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

    /// <summary>Messages queued for one session past which it is closed as a slow consumer (1008) once its socket has stopped draining for <see cref="SlowConsumerTimeout"/>.</summary>
    public int OutboundQueueCapacity { get; set; } = 1024;

    /// <summary>How long a socket write may stay unfinished, with <see cref="OutboundQueueCapacity"/> messages queued, before the session is closed as a slow consumer.</summary>
    public TimeSpan SlowConsumerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes one session's outbound queue may hold, however fast it drains; one more closes it as a slow consumer (the
    /// memory bound). 0 (the default) means 2 x <see cref="OutboundQueueCapacity"/> x <see cref="MaxMessageBytes"/> (1 MiB).
    /// </summary>
    public long OutboundQueueMaxBytes { get; set; }

    /// <summary>SENDs (and refused messages) one session may have whose answers are not yet written to it; at the limit the server reads nothing more from it until they are.</summary>
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

    /// <summary>
    /// Whether a connection's first request, when it is a WebSocket upgrade to <c>/ws/{id}</c>, is taken below HTTP
    /// (read and answered on the connection itself, no HTTP request kept per session); read once at start, and off
    /// while ASP.NET's request lines are logged (<see cref="WebSockets.UpgradeBelowHttp.IsEnabled"/>).
    /// </summary>
    public bool UpgradeBelowHttp { get; set; } = true;

    /// <summary>
    /// Whether, on Linux, the .NET socket engine's event threads run under <c>SCHED_BATCH</c>, so that a socket event
    /// never preempts the thread that runs the work (<see cref="Hosting.SocketEventThreadPolicy"/>); read once at start.
    /// </summary>
    public bool BatchSocketEventThreads { get; set; } = true;
}
