using Akka.Actor;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Options;

/// <summary>Checks <see cref="RelayClusterOptions"/> at start, so a bad value stops the server with a clear message.</summary>
public sealed class RelayClusterOptionsValidator : IValidateOptions<RelayClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RelayClusterOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Hostname))
        {
            failures.Add("Relay:Cluster:Hostname must be set.");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"Relay:Cluster:Port must be between 0 and 65535 (was {options.Port}).");
        }

        foreach (var seed in options.SeedNodes)
        {
            if (!Address.TryParse(seed, out var address) || address.System != RelayClusterOptions.ActorSystemName)
            {
                failures.Add($"Relay:Cluster:SeedNodes entries must look like akka.tcp://{RelayClusterOptions.ActorSystemName}@host:4053 (was '{seed}').");
            }
        }

        // A node without seeds would start a cluster of its own: users on it could not reach users on the
        // other nodes and the session cap would count per cluster. That is only right when asked for.
        if (options.SeedNodes.Length == 0 && !options.FormNewCluster)
        {
            failures.Add("Relay:Cluster:SeedNodes is empty: list every node of the cluster (akka.tcp://relay@host:4053, the same list on every node, this node included), or set Relay:Cluster:FormNewCluster=true to start a new cluster alone.");
        }

        if (options.SeedNodes.Length > 0 && options.FormNewCluster)
        {
            failures.Add("Relay:Cluster:FormNewCluster=true cannot be combined with Relay:Cluster:SeedNodes: a node either joins the listed nodes or starts a new cluster alone.");
        }

        if (options.MinMembers < 1)
        {
            failures.Add($"Relay:Cluster:MinMembers must be at least 1 (was {options.MinMembers}).");
        }

        if (options.ShardCount < 1)
        {
            failures.Add($"Relay:Cluster:ShardCount must be at least 1 (was {options.ShardCount}).");
        }

        if (options.DirectoryRebuildTimeout <= TimeSpan.Zero || options.DirectoryIdleTimeout <= TimeSpan.Zero || options.SendRetryInterval <= TimeSpan.Zero)
        {
            failures.Add("Relay:Cluster:DirectoryRebuildTimeout, DirectoryIdleTimeout and SendRetryInterval must be positive time spans.");
        }

        if (options.SendGiveUpTimeout <= options.SendRetryInterval)
        {
            failures.Add($"Relay:Cluster:SendGiveUpTimeout must be longer than SendRetryInterval (was {options.SendGiveUpTimeout} <= {options.SendRetryInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
