namespace Akka.Relay.Client;

/// <summary>
/// A message handed to the application: a SEND or BROADCAST from a user, or a server API message
/// (<see cref="Type"/> 2, <see cref="Sender"/> 0). <see cref="Json"/> is the frame exactly as received,
/// extra fields included; <see cref="Seq"/> and <see cref="Epoch"/> are set for stored messages (protocol 1.1).
/// </summary>
public sealed record RelayMessage(int Type, ulong Sender, ulong? Receiver, string? Content, ulong? Seq, string? Epoch, string Json);
