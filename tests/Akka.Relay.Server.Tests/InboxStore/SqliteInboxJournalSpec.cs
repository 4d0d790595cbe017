using Akka.Relay.Testing.Stores;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Akka.Relay.Server.Tests.InboxStore;

/// <summary>The relay's journal on a real SQLite file; unavailable while another connection holds the write lock.</summary>
public sealed class SqliteInboxJournalSpec : InboxJournalSpec
{
    private readonly string _database;
    private SqliteConnection? _lock;

    public SqliteInboxJournalSpec(ITestOutputHelper output)
        : this(output, Path.Combine(Path.GetTempPath(), $"relay-journal-test-{Guid.NewGuid():N}.db"))
    {
    }

    private SqliteInboxJournalSpec(ITestOutputHelper output, string database)
        // A short busy timeout: a write that meets the held lock fails after 2 s instead of the default 30 s.
        : base(SqlStoreConfig.For("sqlite", $"Data Source={database};Default Timeout=2"), output)
    {
        _database = database;
    }

    protected override long CountRows(string table, string persistenceId)
    {
        using var connection = new SqliteConnection("Data Source=" + _database);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table} WHERE persistence_id = $pid";
        command.Parameters.AddWithValue("$pid", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    protected override Task MakeUnavailableAsync()
    {
        _lock = new SqliteConnection($"Data Source={_database};Pooling=False");
        _lock.Open();
        using var command = _lock.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE;";
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    protected override Task MakeAvailableAsync()
    {
        if (_lock is not null)
        {
            using var command = _lock.CreateCommand();
            command.CommandText = "ROLLBACK;";
            command.ExecuteNonQuery();
        }

        _lock?.Dispose();
        _lock = null;
        return Task.CompletedTask;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _lock?.Dispose();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm", _database + "-journal" })
        {
            File.Delete(file);
        }
    }
}
