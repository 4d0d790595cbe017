using Akka.Relay.Server.Lifecycle;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Akka.Relay.Server.Health;

/// <summary>Not ready once the node has begun draining, so load balancers stop sending new clients.</summary>
public sealed class DrainHealthCheck : IHealthCheck
{
    private readonly DrainState _drain;

    /// <summary>Creates the check.</summary>
    public DrainHealthCheck(DrainState drain) => _drain = drain;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_drain.IsDraining
            ? HealthCheckResult.Unhealthy("draining")
            : HealthCheckResult.Healthy("accepting sessions"));
}
