using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Akka.Relay.Actors.Client;

/// <summary>The mailbox of a session actor: a <see cref="SessionMessageQueue"/> (light while idle) instead of the default queue.</summary>
public sealed class SessionMailbox : MailboxType, IProducesMessageQueue<SessionMessageQueue>
{
    /// <summary>The configuration path <see cref="ClientActor.GetProps"/> names as the actor's mailbox.</summary>
    public const string Id = "relay-session-mailbox";

    /// <summary>The configuration that defines <see cref="Id"/>: every actor system that runs session actors includes it.</summary>
    public static readonly Config Definition = ConfigurationFactory.ParseString(
        Id + " { mailbox-type = \"" + typeof(SessionMailbox).FullName + ", " + typeof(SessionMailbox).Assembly.GetName().Name + "\" }");

    /// <summary>Created by Akka from the mailbox's configuration section.</summary>
    public SessionMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new SessionMessageQueue();
}
