using Akka.Actor;
using Akka.Serialization;

namespace Akka.Relay.Server.Tests.InboxStore;

/// <summary>Refuses every object, as a serializer meeting a broken event would.</summary>
public sealed class FailingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    /// <inheritdoc />
    public override int Identifier => 8099;

    /// <inheritdoc />
    public override bool IncludeManifest => false;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => throw new InvalidOperationException("this event cannot be serialized: " + obj);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type? type) => throw new InvalidOperationException("never written");
}
