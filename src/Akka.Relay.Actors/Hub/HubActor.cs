using Akka.Actor;
using Akka.Relay.Actors.Telemetry;

namespace Akka.Relay.Actors.Hub;

/// <summary>
/// The hub of a relay that runs alone: this node's sessions are every session there is, so the hub is its own
/// per-user directory. It admits sessions under the per-user cap, answers each SEND from its own map, and fans
/// broadcasts out. It only routes messages between actors and never touches a socket, so a slow peer cannot
/// block it.
/// </summary>
public sealed class HubActor : HubActorBase
{
    /// <summary>Creates the hub of a single node.</summary>
    public HubActor(HubSettings settings, RelayMetrics? metrics = null)
        : base(settings, metrics)
    {
    }

    /// <summary>Props for a single node's hub.</summary>
    public static Props GetProps(HubSettings settings, RelayMetrics? metrics = null) => Akka.Actor.Props.Create(() => new HubActor(settings, metrics));

    /// <inheritdoc />
    protected override void Admit(Register message)
    {
        if (LocalSessionCount(message.UserId) >= Settings.MaxSessionsPerUser)
        {
            Sender.Tell(new RegistrationRefused(
                message.UserId,
                RefusalReason.SessionLimit,
                $"user already holds the maximum of {Settings.MaxSessionsPerUser} sessions"));
            return;
        }

        Route(message.UserId, message.Session);
        Watch(message.Session);
        Sender.Tell(new Registered(message.UserId));
    }

    /// <inheritdoc />
    protected override void Send(SendToUser message) =>
        Sender.Tell(new SendAck(message.Receiver, DeliverLocally(message.Receiver, message.Payload)));

    /// <inheritdoc />
    protected override void Broadcast(BroadcastToAll message) => FanOutLocally(message.Payload);

    /// <inheritdoc />
    protected override void CountSessions(GetUserSessions query) =>
        Sender.Tell(new UserSessions(query.UserId, LocalSessionCount(query.UserId)));
}
