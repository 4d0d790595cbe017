using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Akka.Relay.Server.Health;

/// <summary>Ready when the actor system is running and the hub has been started.</summary>
public sealed class ActorSystemHealthCheck : IHealthCheck
{
    private readonly ActorSystem _system;
    private readonly IRequiredActor<HubActorBase> _hub;

    /// <summary>Creates the check.</summary>
    public ActorSystemHealthCheck(ActorSystem system, IRequiredActor<HubActorBase> hub)
    {
        _system = system;
        _hub = hub;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_system.WhenTerminated.IsCompleted)
        {
            return HealthCheckResult.Unhealthy("actor system terminated");
        }

        try
        {
            // The hub is registered once the actor system has started; until then sessions can't be admitted.
            await _hub.GetAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy("hub not started");
        }

        return HealthCheckResult.Healthy("actor system running");
    }
}
