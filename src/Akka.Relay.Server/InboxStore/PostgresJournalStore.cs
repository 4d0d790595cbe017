using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The journal and its snapshots in PostgreSQL (Npgsql), the store a cluster shares. A batch is one transaction: all its events in one
/// binary <c>COPY</c> (measured less work for the shared database than one <c>INSERT ... SELECT FROM unnest(arrays)</c>,
/// docs/inbox.md), then its deletes and snapshots as one <see cref="NpgsqlBatch"/>, then the commit (with the server's
/// <c>synchronous_commit</c>, on by default).
/// </summary>
internal sealed class PostgresJournalStore : IJournalStore
{
    /// <summary>The journal's connections show under this name in <c>pg_stat_activity</c> (unless the connection string names one).</summary>
    public const string ApplicationName = "akka-relay-inbox-journal";

    private const string UniqueViolation = "23505";
    private const string DuplicateTable = "42P07";

    private const string Copy =
        $"COPY {JournalSchema.Events} (persistence_id, sequence_nr, serializer_id, manifest, payload) FROM STDIN (FORMAT BINARY)";

    private readonly NpgsqlDataSource _source;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    /// <summary>
    /// A store on the database <paramref name="connectionString"/> names, holding at most <paramref name="maxConnections"/>
    /// connections: 2,000 inboxes recovering at once (a reconnect storm) otherwise opened up to Npgsql's default of 100
    /// per pool, past the server's own limit (53300 "too many clients"); beyond the cap a read waits for a connection.
    /// </summary>
    public PostgresJournalStore(string connectionString, int maxConnections)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= ApplicationName;
        builder.ConnectionStringBuilder.MaxPoolSize = maxConnections;
        builder.ConnectionStringBuilder.MinPoolSize = Math.Min(builder.ConnectionStringBuilder.MinPoolSize, maxConnections);
        _source = builder.Build();
    }

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

            await using var command = _source.CreateCommand(
                $"CREATE TABLE IF NOT EXISTS {JournalSchema.Events} (persistence_id text NOT NULL, sequence_nr bigint NOT NULL, " +
                "serializer_id integer NOT NULL, manifest text NOT NULL, payload bytea NOT NULL, PRIMARY KEY (persistence_id, sequence_nr));" +
                $"CREATE TABLE IF NOT EXISTS {JournalSchema.Highest} (persistence_id text NOT NULL PRIMARY KEY, sequence_nr bigint NOT NULL);" +
                $"CREATE TABLE IF NOT EXISTS {JournalSchema.Snapshots} (persistence_id text NOT NULL, sequence_nr bigint NOT NULL, " +
                "created_at bigint NOT NULL, serializer_id integer NOT NULL, manifest text NOT NULL, payload bytea NOT NULL, " +
                "PRIMARY KEY (persistence_id, sequence_nr));");
            try
            {
                await command.ExecuteNonQueryAsync(cancellation);
            }
            catch (PostgresException e) when (e.SqlState is UniqueViolation or DuplicateTable)
            {
                // Another node created the same table at the same moment (IF NOT EXISTS does not lock the catalog): it exists.
            }

            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task WriteBatchAsync(IReadOnlyList<JournalRequest> batch, CancellationToken cancellation)
    {
        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellation);
            await using var transaction = await connection.BeginTransactionAsync(cancellation);
            await CopyRowsAsync(connection, batch, cancellation);
            await RunStatementsAsync(connection, batch, cancellation);
            await transaction.CommitAsync(cancellation);
        }
        catch
        {
            // Idle connections opened before a failure may be dead (a restarted server): the next batch opens a fresh one.
            _source.Clear();
            throw;
        }
    }

    /// <inheritdoc />
    public Task ReplayAsync(string persistenceId, long from, long to, long max, Action<JournalRow> onRow, CancellationToken cancellation)
    {
        var delivered = 0;
        return RetriedOnFreshConnection(
            () => Replay(persistenceId, from, to, max, row => { delivered++; onRow(row); }, cancellation),
            () => delivered == 0);
    }

    /// <inheritdoc />
    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellation) =>
        RetriedOnFreshConnection(() => ReadHighest(persistenceId, cancellation));

    /// <inheritdoc />
    public Task<SnapshotRow?> LoadSnapshotAsync(SnapshotRange range, CancellationToken cancellation) =>
        RetriedOnFreshConnection(() => LoadSnapshot(range, cancellation));

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> PersistenceIdsAsync(CancellationToken cancellation) =>
        RetriedOnFreshConnection(() => ListPersistenceIds(cancellation));

    /// <inheritdoc />
    public bool IsKeyConflict(Exception failure) => failure is PostgresException { SqlState: UniqueViolation };

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private async Task<bool> Replay(string persistenceId, long from, long to, long max, Action<JournalRow> onRow, CancellationToken cancellation)
    {
        await using var command = _source.CreateCommand(JournalSchema.Replay);
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        command.Parameters.AddWithValue("max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            onRow(new JournalRow(persistenceId, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3)));
        }

        return true;
    }

    private async Task<long> ReadHighest(string persistenceId, CancellationToken cancellation)
    {
        await using var command = _source.CreateCommand(JournalSchema.ReadHighest);
        command.Parameters.AddWithValue("pid", persistenceId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellation), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<SnapshotRow?> LoadSnapshot(SnapshotRange range, CancellationToken cancellation)
    {
        await using var command = _source.CreateCommand(JournalSchema.LoadSnapshot);
        foreach (var (name, value) in JournalSchema.Parameters(range))
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellation);
        return await reader.ReadAsync(cancellation)
            ? new SnapshotRow(range.PersistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc), reader.GetInt32(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4))
            : null;
    }

    private async Task<IReadOnlyList<string>> ListPersistenceIds(CancellationToken cancellation)
    {
        await using var command = _source.CreateCommand(JournalSchema.PersistenceIds);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellation))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static async Task CopyRowsAsync(NpgsqlConnection connection, IReadOnlyList<JournalRequest> batch, CancellationToken cancellation)
    {
        if (!batch.Any(request => request is JournalWrite))
        {
            return;
        }

        await using var copy = await connection.BeginBinaryImportAsync(Copy, cancellation);
        foreach (var request in batch)
        {
            if (request is not JournalWrite write)
            {
                continue;
            }

            foreach (var row in write.Rows)
            {
                await copy.StartRowAsync(cancellation);
                await copy.WriteAsync(row.PersistenceId, NpgsqlDbType.Text, cancellation);
                await copy.WriteAsync(row.SequenceNr, NpgsqlDbType.Bigint, cancellation);
                await copy.WriteAsync(row.SerializerId, NpgsqlDbType.Integer, cancellation);
                await copy.WriteAsync(row.Manifest, NpgsqlDbType.Text, cancellation);
                await copy.WriteAsync(row.Payload, NpgsqlDbType.Bytea, cancellation);
            }
        }

        await copy.CompleteAsync(cancellation);
    }

    private static async Task RunStatementsAsync(NpgsqlConnection connection, IReadOnlyList<JournalRequest> batch, CancellationToken cancellation)
    {
        // Deletes and snapshots, in the batch's order. Deletes cover only acknowledged events, so running them after
        // this batch's rows changes nothing.
        await using var sql = new NpgsqlBatch(connection);
        foreach (var request in batch)
        {
            switch (request)
            {
                case JournalDelete delete:
                    IEnumerable<(string, object)> deleted = [("pid", delete.PersistenceId), ("to", delete.ToSequenceNr)];
                    sql.BatchCommands.Add(Command(JournalSchema.RememberHighest("GREATEST"), deleted));
                    sql.BatchCommands.Add(Command(JournalSchema.Delete, deleted));
                    break;
                case SnapshotWrite snapshot:
                    sql.BatchCommands.Add(Command(JournalSchema.SaveSnapshot, JournalSchema.Parameters(snapshot.Row)));
                    break;
                case SnapshotDelete snapshots:
                    sql.BatchCommands.Add(Command(JournalSchema.DeleteSnapshots, JournalSchema.Parameters(snapshots.Range)));
                    break;
            }
        }

        if (sql.BatchCommands.Count > 0)
        {
            await sql.ExecuteNonQueryAsync(cancellation);
        }
    }

    // Batch commands take positional parameters: each @name becomes $1, $2 ... in the order given.
    private static NpgsqlBatchCommand Command(string text, IEnumerable<(string Name, object Value)> parameters)
    {
        var command = new NpgsqlBatchCommand();
        var position = 0;
        foreach (var (name, value) in parameters)
        {
            text = Regex.Replace(text, "@" + name + @"\b", "$$" + (++position).ToString(System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        command.CommandText = text;
        return command;
    }

    private async Task<T> RetriedOnFreshConnection<T>(Func<Task<T>> read, Func<bool>? canRetry = null)
    {
        try
        {
            return await read();
        }
        catch (NpgsqlException e) when ((e.IsTransient || e.InnerException is IOException) && (canRetry?.Invoke() ?? true))
        {
            // Idle connections opened before the server restarted are dead: drop them and read once more on a fresh one
            // (a read changes nothing, so trying it again is safe, unless a replay already delivered rows). A store still down fails this second try too.
            _source.Clear();
            return await read();
        }
    }
}
