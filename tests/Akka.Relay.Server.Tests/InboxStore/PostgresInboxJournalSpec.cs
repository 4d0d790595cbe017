using Akka.Relay.Testing.Stores;
using Npgsql;
using Xunit.Abstractions;

namespace Akka.Relay.Server.Tests.InboxStore;

/// <summary>The relay's journal on a real, throwaway PostgreSQL server; unavailable while that server is stopped.</summary>
public sealed class PostgresInboxJournalSpec : InboxJournalSpec, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresInboxJournalSpec(PostgresServer server, ITestOutputHelper output)
        : base(SqlStoreConfig.For("postgresql", server.ConnectionString), output)
    {
        _server = server;
    }

    protected override long CountRows(string table, string persistenceId)
    {
        // Unpooled: a pooled connection may be a dead one from before the server was stopped and started.
        using var connection = new NpgsqlConnection(_server.ConnectionString + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand($"SELECT COUNT(*) FROM {table} WHERE persistence_id = @pid", connection);
        command.Parameters.AddWithValue("pid", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    protected override Task MakeUnavailableAsync() => _server.StopAsync();

    protected override Task MakeAvailableAsync() => _server.StartAsync();
}
