using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Akka.Relay.Server.Health;

/// <summary>
/// Not ready until the hub knows which users hold an inbox: before that it holds the SENDs that may need one, so a load
/// balancer should not send clients yet. A store that cannot be listed does not keep a node out: the hub then carries on
/// without the list (docs/inbox.md) and this check passes.
/// </summary>
public sealed class InboxListingHealthCheck : IHealthCheck
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(1);

    private readonly IRequiredActor<HubActorBase> _hub;

    /// <summary>Creates the check.</summary>
    public InboxListingHealthCheck(IRequiredActor<HubActorBase> hub) => _hub = hub;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hub = await _hub.GetAsync(cancellationToken).WaitAsync(AskTimeout, cancellationToken);
            var readiness = await hub.Ask<HubReadiness>(GetHubReadiness.Instance, AskTimeout, cancellationToken);
            return readiness.InboxesListed
                ? HealthCheckResult.Healthy("users with an inbox known")
                : HealthCheckResult.Unhealthy("listing the users with an inbox from the store");
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException)
        {
            return HealthCheckResult.Unhealthy("the hub did not answer");
        }
    }
}
