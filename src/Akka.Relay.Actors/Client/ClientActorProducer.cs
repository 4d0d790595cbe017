using Akka.Actor;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// Creates a session's <see cref="ClientActor"/> with a plain constructor call. One is made per
/// connection, so it avoids what <c>Props.Create(() => new ClientActor(...))</c> costs on every
/// handshake: building an expression tree, evaluating its arguments, and constructing the actor by reflection.
/// </summary>
internal sealed class ClientActorProducer : IIndirectActorProducer
{
    private readonly ulong _userId;
    private readonly IActorRef _hub;
    private readonly ClientSettings _settings;
    private readonly SessionSignals _signals;
    private readonly RelayMetrics? _metrics;
    private readonly ResumeRequest _resume;

    public ClientActorProducer(ulong userId, IActorRef hub, ClientSettings settings, SessionSignals signals, RelayMetrics? metrics, ResumeRequest resume)
    {
        _resume = resume;
        _userId = userId;
        _hub = hub;
        _settings = settings;
        _signals = signals;
        _metrics = metrics;
    }

    /// <inheritdoc />
    public Type ActorType => typeof(ClientActor);

    /// <inheritdoc />
    public ActorBase Produce() => new ClientActor(_userId, _hub, _settings, _signals, _metrics, _resume);

    /// <inheritdoc />
    public void Release(ActorBase actor)
    {
        // Nothing to release: the actor owns no resources given by the producer.
    }
}
