using System.Diagnostics;
using System.Threading.RateLimiting;

namespace Akka.Relay.Actors.Client;

/// <summary>What the rate limit decided about one inbound message.</summary>
internal enum RateDecision
{
    /// <summary>Within the rate: handle the message.</summary>
    Accepted,

    /// <summary>Over the rate: answer <c>error: rate limited</c> and drop it.</summary>
    Rejected,

    /// <summary>Over the rate too often: close the session with 1008.</summary>
    Exceeded,
}

/// <summary>
/// One session's token bucket (System.Threading.RateLimiting) plus the count of recent rejections.
/// Used only by the session's read pump, one message at a time, and never waits: a message either
/// gets a token now or is rejected.
/// </summary>
internal sealed class SessionRateLimit : IDisposable
{
    private readonly TokenBucketRateLimiter _bucket;
    private readonly long[] _rejections;
    private readonly long _windowTicks;
    private int _next;
    private int _count;

    public SessionRateLimit(RateLimitSettings settings)
    {
        // No timer per session: the bucket is topped up from the elapsed time on every message
        // (with AutoReplenishment off, TryReplenish adds rate × elapsed, capped at the burst).
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Burst,
            TokensPerPeriod = settings.MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false,
        });
        _rejections = new long[settings.MaxRejections];
        _windowTicks = (long)(settings.RejectionWindow.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Takes a token for one message, or counts a rejection.</summary>
    public RateDecision Take()
    {
        _bucket.TryReplenish();
        using (var lease = _bucket.AttemptAcquire(1))
        {
            if (lease.IsAcquired)
            {
                return RateDecision.Accepted;
            }
        }

        // The times of the last MaxRejections rejections, in a ring: once the ring is full and its
        // oldest entry is still inside the window, that many rejections fell within the window.
        var now = Stopwatch.GetTimestamp();
        _rejections[_next] = now;
        _next = (_next + 1) % _rejections.Length;
        _count = Math.Min(_count + 1, _rejections.Length);
        return _count == _rejections.Length && now - _rejections[_next] <= _windowTicks ? RateDecision.Exceeded : RateDecision.Rejected;
    }

    public void Dispose() => _bucket.Dispose();
}
