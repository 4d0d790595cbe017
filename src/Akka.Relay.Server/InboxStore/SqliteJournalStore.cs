using Microsoft.Data.Sqlite;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The journal and its snapshots in one SQLite file (Microsoft.Data.Sqlite), in write-ahead-log mode with <c>synchronous=FULL</c>: a
/// commit is on disk before it returns, so an acknowledged event survives a crash of the machine. One connection writes,
/// with prepared statements reused for every row; reads use their own pooled connections (WAL lets them run beside it).
/// </summary>
internal sealed class SqliteJournalStore(string connectionString) : IJournalStore
{
    private const int ConstraintViolation = 19;

    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;
    private SqliteConnection? _writer;
    private SqliteCommand? _insert;
    private SqliteCommand? _rememberHighest;
    private SqliteCommand? _delete;

    /// <inheritdoc />
    public async Task EnsureSchemaAsync(CancellationToken cancellation)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellation);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            using var connection = Open();
            using var command = connection.CreateCommand();
            // WAL is a property of the file (kept across connections): commits append to the log, readers do not block the writer.
            // The events table has rowids: an event holds a batch of messages (kilobytes), which a WITHOUT ROWID table keeps in
            // overflow pages beside a leaf per user, so every commit rewrote about two pages per event; here rows go to the end.
            command.CommandText =
                "PRAGMA journal_mode=WAL;" +
                $"CREATE TABLE IF NOT EXISTS {JournalSchema.Events} (persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, " +
                "serializer_id INTEGER NOT NULL, manifest TEXT NOT NULL, payload BLOB NOT NULL, " +
                "PRIMARY KEY (persistence_id, sequence_nr));" +
                $"CREATE TABLE IF NOT EXISTS {JournalSchema.Highest} (persistence_id TEXT NOT NULL PRIMARY KEY, sequence_nr INTEGER NOT NULL) WITHOUT ROWID;" +
                $"CREATE TABLE IF NOT EXISTS {JournalSchema.Snapshots} (persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, " +
                "created_at INTEGER NOT NULL, serializer_id INTEGER NOT NULL, manifest TEXT NOT NULL, payload BLOB NOT NULL, " +
                "PRIMARY KEY (persistence_id, sequence_nr));";
            command.ExecuteNonQuery();
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    /// <inheritdoc />
    public Task WriteBatchAsync(IReadOnlyList<JournalRequest> batch, CancellationToken cancellation)
    {
        try
        {
            WriteBatch(batch);
            return Task.CompletedTask;
        }
        catch
        {
            // The next batch starts on a fresh connection: a store that comes back is used again without a restart.
            CloseWriter();
            throw;
        }
    }

    /// <inheritdoc />
    public Task ReplayAsync(string persistenceId, long from, long to, long max, Action<JournalRow> onRow, CancellationToken cancellation) =>
        Task.Run(() =>
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = JournalSchema.Replay;
            command.Parameters.AddWithValue("@pid", persistenceId);
            command.Parameters.AddWithValue("@from", from);
            command.Parameters.AddWithValue("@to", to);
            command.Parameters.AddWithValue("@max", max);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                onRow(new JournalRow(persistenceId, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), (byte[])reader.GetValue(3)));
            }
        }, cancellation);

    /// <inheritdoc />
    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellation) =>
        Task.Run(() =>
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = JournalSchema.ReadHighest;
            command.Parameters.AddWithValue("@pid", persistenceId);
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellation);

    /// <inheritdoc />
    public Task<SnapshotRow?> LoadSnapshotAsync(SnapshotRange range, CancellationToken cancellation) =>
        Task.Run(() =>
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = JournalSchema.LoadSnapshot;
            foreach (var (name, value) in JournalSchema.Parameters(range))
            {
                command.Parameters.AddWithValue("@" + name, value);
            }

            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new SnapshotRow(range.PersistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc), reader.GetInt32(2), reader.GetString(3), (byte[])reader.GetValue(4))
                : null;
        }, cancellation);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> PersistenceIdsAsync(CancellationToken cancellation) =>
        Task.Run<IReadOnlyList<string>>(() =>
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = JournalSchema.PersistenceIds;
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }, cancellation);

    /// <inheritdoc />
    public bool IsKeyConflict(Exception failure) => failure is SqliteException { SqliteErrorCode: ConstraintViolation };

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        CloseWriter();
        return ValueTask.CompletedTask;
    }

    private void WriteBatch(IReadOnlyList<JournalRequest> batch)
    {
        var writer = _writer ?? OpenWriter();
        // BEGIN IMMEDIATE: the write lock is taken up front (waiting up to the command timeout for another writer).
        using var transaction = writer.BeginTransaction(deferred: false);
        _insert!.Transaction = transaction;
        _rememberHighest!.Transaction = transaction;
        _delete!.Transaction = transaction;
        var insert = _insert.Parameters;
        foreach (var request in batch)
        {
            switch (request)
            {
                case JournalWrite write:
                    foreach (var row in write.Rows)
                    {
                        insert[0].Value = row.PersistenceId;
                        insert[1].Value = row.SequenceNr;
                        insert[2].Value = row.SerializerId;
                        insert[3].Value = row.Manifest;
                        insert[4].Value = row.Payload;
                        _insert.ExecuteNonQuery();
                    }

                    break;
                case JournalDelete delete:
                    foreach (var command in new[] { _rememberHighest, _delete })
                    {
                        command.Parameters[0].Value = delete.PersistenceId;
                        command.Parameters[1].Value = delete.ToSequenceNr;
                        command.ExecuteNonQuery();
                    }

                    break;
                case SnapshotWrite snapshot:
                    Execute(writer, transaction, JournalSchema.SaveSnapshot, JournalSchema.Parameters(snapshot.Row));
                    break;
                case SnapshotDelete snapshots:
                    Execute(writer, transaction, JournalSchema.DeleteSnapshots, JournalSchema.Parameters(snapshots.Range));
                    break;
            }
        }

        transaction.Commit();
    }

    // Snapshots are rare (one per SnapshotEvery messages of an inbox): a command of their own each time is cheap enough.
    private static void Execute(SqliteConnection writer, SqliteTransaction transaction, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        using var command = writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue("@" + name, value);
        }

        command.ExecuteNonQuery();
    }

    private SqliteConnection OpenWriter()
    {
        var writer = Open();
        try
        {
            using (var pragma = writer.CreateCommand())
            {
                // FULL (SQLite's default, set here so that no build or connection default can weaken it): with WAL, every
                // commit syncs the log, so an acknowledged write survives a power loss, not only a crash of the process.
                // busy_timeout: while another connection holds the write lock, SQLite itself waits in steps of a few
                // milliseconds; without it Microsoft.Data.Sqlite retries every 150 ms, and every inbox waits that long.
                pragma.CommandText = "PRAGMA synchronous=FULL;" +
                    $"PRAGMA busy_timeout={(long)writer.DefaultTimeout * 1000};";
                pragma.ExecuteNonQuery();
            }

            _insert = Prepare(writer,
                $"INSERT INTO {JournalSchema.Events} (persistence_id, sequence_nr, serializer_id, manifest, payload) VALUES (@pid, @seq, @ser, @man, @pay)",
                ("@pid", SqliteType.Text), ("@seq", SqliteType.Integer), ("@ser", SqliteType.Integer), ("@man", SqliteType.Text), ("@pay", SqliteType.Blob));
            _rememberHighest = Prepare(writer, JournalSchema.RememberHighest("max"), ("@pid", SqliteType.Text), ("@to", SqliteType.Integer));
            _delete = Prepare(writer, JournalSchema.Delete, ("@pid", SqliteType.Text), ("@to", SqliteType.Integer));
            _writer = writer;
            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params (string Name, SqliteType Type)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        command.Prepare();
        return command;
    }

    private void CloseWriter()
    {
        _insert?.Dispose();
        _rememberHighest?.Dispose();
        _delete?.Dispose();
        _writer?.Dispose();
        (_insert, _rememberHighest, _delete, _writer) = (null, null, null, null);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }
}
