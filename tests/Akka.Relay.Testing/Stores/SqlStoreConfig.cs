using Akka.Configuration;

namespace Akka.Relay.Testing.Stores;

/// <summary>hocon/inbox.hocon as the server ships it (the relay's journal and snapshot store), pointed at a test's own database.</summary>
public static class SqlStoreConfig
{
    /// <summary>The shipped store settings for <paramref name="store"/> (<c>sqlite</c> or <c>postgresql</c>) at <paramref name="connectionString"/>.</summary>
    public static Config For(string store, string connectionString)
    {
        var overrides = ConfigurationFactory.ParseString(
            $"akka.persistence.journal.relay {{\nstore = {Quote(store)}\nconnection-string = {Quote(connectionString)}\n}}\n" +
            "akka.loglevel = WARNING\n");
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "inbox.hocon")));
        return overrides.WithFallback(shipped);
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
