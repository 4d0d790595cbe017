namespace Akka.Relay.Client;

/// <summary>What the read loop hands to the application's reader, in the order read: a message, or a reported gap.</summary>
internal sealed record Incoming(RelayMessage? Message, RelayGap? Gap)
{
    public static Incoming Of(RelayMessage message) => new(message, null);

    public static Incoming Of(RelayGap gap) => new(null, gap);
}
