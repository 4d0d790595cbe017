namespace Akka.Relay.Actors.Client;

/// <summary>A session's message rate limit: a token bucket, and when repeated excess closes the session.</summary>
/// <param name="MessagesPerSecond">Messages a session may send per second, sustained.</param>
/// <param name="Burst">Messages a session may send at once after being quiet (the bucket's size).</param>
/// <param name="MaxRejections">Rate-limited messages within <paramref name="RejectionWindow"/> that close the session with 1008.</param>
/// <param name="RejectionWindow">The window over which rejections are counted.</param>
public sealed record RateLimitSettings(int MessagesPerSecond, int Burst, int MaxRejections, TimeSpan RejectionWindow);
