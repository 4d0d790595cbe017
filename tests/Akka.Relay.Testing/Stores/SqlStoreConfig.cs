using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Akka.Relay.Testing.Stores;

/// <summary>hocon/inbox.hocon as the server ships it, pointed at a test's own database.</summary>
public static class SqlStoreConfig
{
    /// <summary>The shipped store settings for <paramref name="providerName"/> at <paramref name="connectionString"/>.</summary>
    public static Config For(string providerName, string connectionString, int parallelism)
    {
        var store = $"provider-name = {Quote(providerName)}\nconnection-string = {Quote(connectionString)}";
        var overrides = ConfigurationFactory.ParseString(
            $"akka.persistence.journal.sql {{\n{store}\nparallelism = {parallelism}\n}}\n" +
            $"akka.persistence.snapshot-store.sql {{\n{store}\n}}\n" +
            "akka.loglevel = WARNING\n");
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "inbox.hocon")));
        return overrides.WithFallback(shipped).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
