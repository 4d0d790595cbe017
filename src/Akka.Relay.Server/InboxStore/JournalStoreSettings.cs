using Akka.Configuration;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The journal plugin's HOCON block (<c>akka.persistence.journal.relay</c>): which store, where, the batch limit, and how
/// many connections the journal's reads (recoveries, the listing) may hold at once.
/// </summary>
internal sealed record JournalStoreSettings(string Store, string ConnectionString, int MaxBatchRows, int MaxConnections)
{
    /// <summary>The embedded store.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The shared store a cluster needs.</summary>
    public const string PostgreSql = "postgresql";

    /// <summary>Reads the settings, refusing a store kind it does not know.</summary>
    public static JournalStoreSettings From(Config config)
    {
        var store = config.GetString("store", Sqlite).Trim().ToLowerInvariant();
        if (store is not (Sqlite or PostgreSql))
        {
            throw new ConfigurationException($"The inbox journal's store must be '{Sqlite}' or '{PostgreSql}' (was '{store}').");
        }

        var connectionString = config.GetString("connection-string", "");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException("The inbox journal's connection-string must be set.");
        }

        return new JournalStoreSettings(store, connectionString, Math.Max(1, config.GetInt("max-batch-rows", 4000)), Math.Max(1, config.GetInt("max-connections", 8)));
    }

    /// <summary>Opens the store for the journal's reads (at most <see cref="MaxConnections"/> connections).</summary>
    public IJournalStore CreateStore() => Create(MaxConnections);

    /// <summary>Opens the store for the one writer, which uses one connection at a time.</summary>
    public IJournalStore CreateWriterStore() => Create(2);

    private IJournalStore Create(int maxConnections) =>
        Store == Sqlite ? new SqliteJournalStore(ConnectionString) : new PostgresJournalStore(ConnectionString, maxConnections);
}
