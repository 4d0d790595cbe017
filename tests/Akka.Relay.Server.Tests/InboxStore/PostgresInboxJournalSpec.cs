using Akka.Actor;
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

    [Fact]
    public async Task Four_hundred_actors_recovering_at_once_all_recover_on_at_most_the_journals_connections()
    {
        // A reconnect storm: every inbox recovers at the same moment. Unbounded, the journal's reads opened a connection
        // each until the server refused more (53300 "too many clients already") and recoveries failed.
        const int Actors = 400;
        var ids = Enumerable.Range(0, Actors).Select(i => $"storm-{Guid.NewGuid():N}-{i}").ToArray();
        foreach (var id in ids)
        {
            var writer = Sys.ActorOf(CountingActor.GetProps(id));
            Assert.Equal(1L, await writer.Ask<long>("e1", Timeout));
            Sys.Stop(writer);
        }

        using var watching = new CancellationTokenSource();
        var mostConnections = WatchJournalConnectionsAsync(watching.Token);
        var recovering = ids.Select(id => Sys.ActorOf(CountingActor.GetProps(id)).Ask<string[]>("state", Timeout)).ToArray();

        Assert.All(await Task.WhenAll(recovering), state => Assert.Equal(["e1"], state));
        await watching.CancelAsync();
        // max-connections (8) for the reads, and the writer's own two.
        Assert.InRange(await mostConnections, 1, 8 + 2);
    }

    private async Task<long> WatchJournalConnectionsAsync(CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(_server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = @name", connection);
        command.Parameters.AddWithValue("name", "akka-relay-inbox-journal");
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var most = 0L;
        do
        {
            most = Math.Max(most, (long)(await command.ExecuteScalarAsync(CancellationToken.None))!);
        }
        while (await WaitAsync(poll, stop));

        return most;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer poll, CancellationToken stop)
    {
        try
        {
            return await poll.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
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
