namespace Akka.Relay.Client;

/// <summary>The last stored message handed to the application: its inbox epoch and sequence number.</summary>
public sealed record RelayPosition(string? Epoch, ulong Seq)
{
    /// <summary>Nothing handed over yet.</summary>
    public static readonly RelayPosition Start = new(null, 0);
}
