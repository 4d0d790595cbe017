using Akka.Actor;

namespace Akka.Relay.Actors.Hub;

/// <summary>One answer owed to a sender; null until decided.</summary>
internal sealed class PendingAnswer(IActorRef sender)
{
    public IActorRef Sender { get; } = sender;

    public SendAck? Ack { get; set; }
}
