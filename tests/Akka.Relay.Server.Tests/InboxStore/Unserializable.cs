namespace Akka.Relay.Server.Tests.InboxStore;

/// <summary>An event no serializer can write: bound to <see cref="FailingSerializer"/> in the journal specs.</summary>
public sealed record Unserializable(string Reason);
