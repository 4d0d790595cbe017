namespace Akka.Relay.Actors.Client;

/// <summary>Per-session limits.</summary>
/// <param name="MaxMessageBytes">Largest accepted message after reassembly; larger closes with 1009.</param>
/// <param name="OutboundQueueCapacity">Messages queued for one session past which it is closed as a slow consumer if its socket has also stopped draining (<see cref="SlowConsumerTimeout"/>).</param>
/// <param name="CloseTimeout">How long a server-initiated close may take before the connection is aborted.</param>
public sealed record ClientSettings(int MaxMessageBytes, int OutboundQueueCapacity, TimeSpan CloseTimeout)
{
    /// <summary>The per-session message rate limit; null (the default) means none.</summary>
    public RateLimitSettings? RateLimit { get; init; }

    /// <summary>SENDs (and refused messages) a session may have unanswered or with answers not yet written; at the limit the server stops reading from it.</summary>
    public int MaxUnansweredSends { get; init; } = 64;

    /// <summary>How long a socket write may stay unfinished, with <see cref="OutboundQueueCapacity"/> messages queued, before the session is a slow consumer.</summary>
    public TimeSpan SlowConsumerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes one session's queue may hold however fast it drains (the memory bound); past it the session is a slow
    /// consumer. 0 (the default) means twice a full queue of the largest messages: 2 x capacity x max message bytes.
    /// </summary>
    public long OutboundQueueMaxBytes { get; init; }

    /// <summary>
    /// How long a session that opted in (protocol 1.1) waits for its inbox to open once it is registered; then it closes
    /// with 1011, so that its client tries again instead of waiting for a header that will not come (an open request can
    /// be lost while the inbox restarts after a store failure, or with the node it was on).
    /// </summary>
    public TimeSpan InboxOpenTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The queue's byte bound in effect (<see cref="OutboundQueueMaxBytes"/>, or its default).</summary>
    public long EffectiveOutboundQueueMaxBytes => OutboundQueueMaxBytes > 0 ? OutboundQueueMaxBytes : 2L * OutboundQueueCapacity * MaxMessageBytes;
}
