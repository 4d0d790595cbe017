namespace Akka.Relay.Client;

/// <summary>Exponential reconnect delay with jitter and a cap, so many clients cut at once do not come back in step.</summary>
internal static class Backoff
{
    /// <summary>The delay before attempt <paramref name="attempt"/> (1-based): half of base·2^(attempt-1), capped, plus a random half.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan cap)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var full = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), cap.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full / 2 + Random.Shared.NextDouble() * full / 2);
    }
}
