namespace Akka.Relay.Client;

/// <summary>
/// A resume told the client that stored messages after its position were lost (retention, or a new inbox
/// epoch): the history handed to the application has a hole between <see cref="LastSeen"/> and <see cref="First"/>.
/// </summary>
public sealed record RelayGap(string Epoch, ulong First, ulong Last, RelayPosition LastSeen);
