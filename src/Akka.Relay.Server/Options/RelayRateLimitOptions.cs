using Akka.Relay.Actors.Client;

namespace Akka.Relay.Server.Options;

/// <summary>
/// The per-session message rate limit, bound from <c>Relay:RateLimit</c>
/// (env: <c>Relay__RateLimit__MessagesPerSecond=20</c>). Off while <see cref="MessagesPerSecond"/> is 0.
/// </summary>
public sealed class RelayRateLimitOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Relay:RateLimit";

    /// <summary>Messages one session may send per second, sustained; 0 turns the limit off.</summary>
    public int MessagesPerSecond { get; set; }

    /// <summary>Messages a session may send at once after being quiet (the token bucket's size).</summary>
    public int Burst { get; set; } = 50;

    /// <summary>Rate-limited messages within <see cref="RejectionWindow"/> that close the session with 1008.</summary>
    public int MaxRejections { get; set; } = 50;

    /// <summary>The window in which <see cref="MaxRejections"/> are counted.</summary>
    public TimeSpan RejectionWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The actor layer's settings, or null when the limit is off.</summary>
    public RateLimitSettings? ToSettings() =>
        MessagesPerSecond > 0 ? new RateLimitSettings(MessagesPerSecond, Burst, MaxRejections, RejectionWindow) : null;
}
