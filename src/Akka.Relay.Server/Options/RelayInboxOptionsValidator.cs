using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Options;

/// <summary>Checks <see cref="RelayInboxOptions"/> at start, so a bad value stops the server with a clear message.</summary>
public sealed class RelayInboxOptionsValidator(IOptions<RelayClusterOptions> cluster) : IValidateOptions<RelayInboxOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RelayInboxOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (options.MaxMessages < 1)
        {
            failures.Add($"Relay:Inbox:MaxMessages must be at least 1 (was {options.MaxMessages}).");
        }

        if (options.SnapshotEvery < 0)
        {
            failures.Add($"Relay:Inbox:SnapshotEvery must be 0 (three times MaxMessages) or more (was {options.SnapshotEvery}).");
        }

        if (options.MaxAge <= TimeSpan.Zero || options.IdleExpiry <= TimeSpan.Zero)
        {
            failures.Add("Relay:Inbox:MaxAge and IdleExpiry must be positive time spans.");
        }

        if (options.AppendTimeout <= TimeSpan.Zero || options.PassivateAfter <= TimeSpan.Zero || options.OpenTimeout <= TimeSpan.Zero)
        {
            failures.Add("Relay:Inbox:AppendTimeout, OpenTimeout and PassivateAfter must be positive time spans.");
        }

        if (options.ShedWritesAfter < TimeSpan.Zero || (options.ShedWritesAfter > TimeSpan.Zero && options.ShedWritesAfter >= options.AppendTimeout))
        {
            failures.Add("Relay:Inbox:ShedWritesAfter must be zero (off) or shorter than Relay:Inbox:AppendTimeout: refusing must come before the requester gives up.");
        }

        var knownStore = options.IsSqlite || string.Equals(options.Store, RelayInboxOptions.PostgreSql, StringComparison.OrdinalIgnoreCase);
        if (!knownStore)
        {
            failures.Add($"Relay:Inbox:Store must be '{RelayInboxOptions.Sqlite}' or '{RelayInboxOptions.PostgreSql}' (was '{options.Store}').");
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("Relay:Inbox:ConnectionString must be set.");
        }

        if (knownStore && options.IsSqlite && cluster.Value.Enabled)
        {
            failures.Add(
                "Relay:Inbox:Store 'sqlite' cannot serve a cluster (Relay:Cluster:Enabled is true): the SQLite file lives on one node, " +
                "but a user's inbox moves to whichever node hosts its entity, so every node must reach the same store. " +
                "Set Relay:Inbox:Store to 'postgresql' with a Relay:Inbox:ConnectionString, or Relay:Inbox:Enabled to false.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
