using Akka.Actor;

namespace Akka.Relay.Actors.Inbox;

/// <summary>One user's running inbox as its shelf sees it.</summary>
internal sealed class ShelvedInbox(IActorRef actor)
{
    public IActorRef Actor { get; } = actor;

    public HashSet<IActorRef> Readers { get; } = [];

    public bool UsedSinceTick { get; set; } = true;
}
