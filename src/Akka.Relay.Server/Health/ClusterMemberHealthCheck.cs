using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Server.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Server.Health;

/// <summary>
/// Ready when this node is an Up member that sees at least <c>Relay:Cluster:MinMembers</c> reachable Up members and the
/// per-user directory's shard coordinator knows this node's region (always ready when not clustered).
/// </summary>
public sealed class ClusterMemberHealthCheck : IHealthCheck
{
    /// <summary>How long the check waits for the shard coordinator; shorter than the probes' own timeouts.</summary>
    private static readonly TimeSpan CoordinatorTimeout = TimeSpan.FromSeconds(2);

    private readonly ActorSystem _system;
    private readonly ActorRegistry _registry;
    private readonly IOptions<RelayClusterOptions> _options;

    /// <summary>Creates the check.</summary>
    public ClusterMemberHealthCheck(ActorSystem system, ActorRegistry registry, IOptions<RelayClusterOptions> options)
    {
        _system = system;
        _registry = registry;
        _options = options;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var options = _options.Value;
        if (!options.Enabled)
        {
            return HealthCheckResult.Healthy("not clustered");
        }

        var cluster = AkkaCluster.Get(_system);
        var state = cluster.State;
        var reachableUp = state.Members.Count(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m));
        var data = new Dictionary<string, object>
        {
            ["self"] = cluster.SelfAddress.ToString(),
            ["selfStatus"] = cluster.SelfMember.Status.ToString(),
            ["members"] = state.Members.Count,
            ["membersUp"] = state.Members.Count(m => m.Status == MemberStatus.Up),
            ["minMembers"] = options.MinMembers,
            ["unreachable"] = state.Unreachable.Count,
            ["leader"] = state.Leader?.ToString() ?? string.Empty,
        };

        if (cluster.SelfMember.Status != MemberStatus.Up)
        {
            // Akka keeps every member Joining until min-nr-of-members have joined: say so, it is the usual cause.
            var reason = cluster.SelfMember.Status switch
            {
                MemberStatus.Joining when state.Members.Count < options.MinMembers =>
                    $"member Joining: {state.Members.Count} of the {options.MinMembers} members Relay:Cluster:MinMembers asks for have joined",
                MemberStatus.Removed when state.Members.Count == 0 => "not a member yet: no seed node has answered",
                var status => $"member {status}",
            };
            return HealthCheckResult.Unhealthy(reason, data: data);
        }

        if (reachableUp < options.MinMembers)
        {
            return HealthCheckResult.Unhealthy($"sees {reachableUp} reachable Up members, fewer than Relay:Cluster:MinMembers ({options.MinMembers})", data: data);
        }

        return await CheckDirectoryAsync(cluster.SelfAddress, data, cancellationToken);
    }

    // The region forwards the query to the shard coordinator, which answers with the regions it has registered:
    // an answer naming this node means SENDs and admissions on this node can reach their user's entity.
    private async Task<HealthCheckResult> CheckDirectoryAsync(Address self, Dictionary<string, object> data, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet<UserEntity>(out var region))
        {
            return HealthCheckResult.Unhealthy("directory not started", data: data);
        }

        CurrentRegions regions;
        try
        {
            regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, CoordinatorTimeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the directory's shard coordinator did not answer within {CoordinatorTimeout.TotalSeconds:0} s", data: data);
        }

        data["directoryRegions"] = regions.Regions.Count;
        return regions.Regions.Contains(self)
            ? HealthCheckResult.Healthy("member up", data)
            : HealthCheckResult.Unhealthy("the directory's shard coordinator has not registered this node yet", data: data);
    }
}
