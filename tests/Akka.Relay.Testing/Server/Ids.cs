namespace Akka.Relay.Testing.Server;

/// <summary>Fresh user ids, so tests sharing one server never meet each other's users.</summary>
public static class Ids
{
    private static long _next = 1000;

    /// <summary>A user id no other test uses.</summary>
    public static ulong Next() => (ulong)Interlocked.Increment(ref _next);
}
