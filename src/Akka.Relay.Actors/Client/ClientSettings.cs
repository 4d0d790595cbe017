namespace Akka.Relay.Actors.Client;

/// <summary>Per-session limits.</summary>
/// <param name="MaxMessageBytes">Largest accepted message after reassembly; larger closes with 1009.</param>
/// <param name="OutboundQueueCapacity">Messages queued for one session before it counts as a slow consumer.</param>
/// <param name="CloseTimeout">How long a server-initiated close may take before the connection is aborted.</param>
public sealed record ClientSettings(int MaxMessageBytes, int OutboundQueueCapacity, TimeSpan CloseTimeout)
{
    /// <summary>The per-session message rate limit; null (the default) means none.</summary>
    public RateLimitSettings? RateLimit { get; init; }

    /// <summary>SENDs a session may have unanswered; at the limit the server stops reading from it until answers come back.</summary>
    public int MaxUnansweredSends { get; init; } = 64;
}
