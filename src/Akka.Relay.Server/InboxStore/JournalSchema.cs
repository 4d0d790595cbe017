namespace Akka.Relay.Server.InboxStore;

/// <summary>The journal's table names and the SQL both stores share.</summary>
internal static class JournalSchema
{
    /// <summary>The events: one row per event, keyed by persistence id and sequence number.</summary>
    public const string Events = "inbox_journal";

    /// <summary>The highest sequence number deleted per persistence id, so it survives the deletion of every row.</summary>
    public const string Highest = "inbox_journal_highest";

    /// <summary>The snapshots (a few per inbox at most): keyed by persistence id and sequence number, with their time in ticks (UTC).</summary>
    public const string Snapshots = "inbox_snapshot";

    /// <summary>Stores a snapshot, replacing one saved before at the same sequence number.</summary>
    public const string SaveSnapshot =
        $"INSERT INTO {Snapshots} (persistence_id, sequence_nr, created_at, serializer_id, manifest, payload) VALUES (@pid, @seq, @at, @ser, @man, @pay) " +
        "ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET created_at = excluded.created_at, serializer_id = excluded.serializer_id, " +
        "manifest = excluded.manifest, payload = excluded.payload";

    /// <summary>The condition selecting a <see cref="SnapshotRange"/>.</summary>
    private const string InSnapshotRange =
        "persistence_id = @pid AND sequence_nr >= @minseq AND sequence_nr <= @maxseq AND created_at >= @minat AND created_at <= @maxat";

    /// <summary>The newest snapshot within a range.</summary>
    public const string LoadSnapshot =
        $"SELECT sequence_nr, created_at, serializer_id, manifest, payload FROM {Snapshots} WHERE {InSnapshotRange} ORDER BY sequence_nr DESC LIMIT 1";

    /// <summary>Removes the snapshots within a range.</summary>
    public const string DeleteSnapshots = $"DELETE FROM {Snapshots} WHERE {InSnapshotRange}";

    /// <summary>The parameters of <see cref="LoadSnapshot"/> and <see cref="DeleteSnapshots"/>, in the order they take them.</summary>
    public static IEnumerable<(string Name, object Value)> Parameters(SnapshotRange range) =>
    [
        ("pid", range.PersistenceId),
        ("minseq", range.MinSequenceNr),
        ("maxseq", range.MaxSequenceNr),
        ("minat", range.MinTimestamp.Ticks),
        ("maxat", range.MaxTimestamp.Ticks),
    ];

    /// <summary>The parameters of <see cref="SaveSnapshot"/>, in the order it takes them.</summary>
    public static IEnumerable<(string Name, object Value)> Parameters(SnapshotRow row) =>
    [
        ("pid", row.PersistenceId),
        ("seq", row.SequenceNr),
        ("at", row.Timestamp.Ticks),
        ("ser", row.SerializerId),
        ("man", row.Manifest),
        ("pay", row.Payload),
    ];

    /// <summary>The events of one persistence id in a range, by sequence number, at most a number of them.</summary>
    public const string Replay =
        $"SELECT sequence_nr, serializer_id, manifest, payload FROM {Events} " +
        "WHERE persistence_id = @pid AND sequence_nr >= @from AND sequence_nr <= @to ORDER BY sequence_nr LIMIT @max";

    /// <summary>The highest sequence number of one persistence id: of its rows, or remembered from a delete.</summary>
    public const string ReadHighest =
        $"SELECT COALESCE(MAX(sequence_nr), 0) FROM (SELECT MAX(sequence_nr) AS sequence_nr FROM {Events} WHERE persistence_id = @pid " +
        $"UNION ALL SELECT sequence_nr FROM {Highest} WHERE persistence_id = @pid) AS known";

    /// <summary>Removes the rows a delete covers (after <see cref="RememberHighest"/>).</summary>
    public const string Delete = $"DELETE FROM {Events} WHERE persistence_id = @pid AND sequence_nr <= @to";

    /// <summary>The ids that hold at least one event.</summary>
    public const string PersistenceIds = $"SELECT DISTINCT persistence_id FROM {Events}";

    /// <summary>
    /// Before a delete: keeps the highest number among the rows it removes (and any higher one remembered before);
    /// <paramref name="greatest"/> is the store's two-argument maximum.
    /// </summary>
    public static string RememberHighest(string greatest) =>
        $"INSERT INTO {Highest} (persistence_id, sequence_nr) " +
        $"SELECT persistence_id, MAX(sequence_nr) FROM {Events} WHERE persistence_id = @pid AND sequence_nr <= @to GROUP BY persistence_id " +
        $"ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = {greatest}({Highest}.sequence_nr, excluded.sequence_nr)";
}
