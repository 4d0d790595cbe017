using Akka.Actor;
using Akka.Cluster;
using Akka.Relay.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Server.Health;

/// <summary>Ready when this node is an Up member of the cluster (always ready when not clustered).</summary>
public sealed class ClusterMemberHealthCheck : IHealthCheck
{
    private readonly ActorSystem _system;
    private readonly IOptions<RelayClusterOptions> _options;

    /// <summary>Creates the check.</summary>
    public ClusterMemberHealthCheck(ActorSystem system, IOptions<RelayClusterOptions> options)
    {
        _system = system;
        _options = options;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!_options.Value.Enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("not clustered"));
        }

        var cluster = AkkaCluster.Get(_system);
        var state = cluster.State;
        var data = new Dictionary<string, object>
        {
            ["self"] = cluster.SelfAddress.ToString(),
            ["selfStatus"] = cluster.SelfMember.Status.ToString(),
            ["membersUp"] = state.Members.Count(m => m.Status == MemberStatus.Up),
            ["unreachable"] = state.Unreachable.Count,
            ["leader"] = state.Leader?.ToString() ?? string.Empty,
        };

        var result = cluster.SelfMember.Status == MemberStatus.Up
            ? HealthCheckResult.Healthy("member up", data)
            : HealthCheckResult.Unhealthy($"member {cluster.SelfMember.Status}", data: data);
        return Task.FromResult(result);
    }
}
