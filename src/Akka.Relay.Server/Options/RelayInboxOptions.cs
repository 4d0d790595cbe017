using Akka.Relay.Actors.Inbox;

namespace Akka.Relay.Server.Options;

/// <summary>
/// The durable per-user inbox (protocol section 9.4), bound from <c>Relay:Inbox</c>
/// (env: <c>Relay__Inbox__Store=postgresql</c>, <c>Relay__Inbox__ConnectionString=Host=db;Username=relay;...</c>).
/// </summary>
public sealed class RelayInboxOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Relay:Inbox";

    /// <summary>The embedded store: one SQLite file, one node.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The shared store a cluster needs.</summary>
    public const string PostgreSql = "postgresql";

    /// <summary>Off: every session is version 1 and no store is configured.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Messages kept per user; older ones are dropped first.</summary>
    public int MaxMessages { get; set; } = 1000;

    /// <summary>Stored messages older than this are dropped.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>An inbox with no session this long is deleted.</summary>
    public TimeSpan IdleExpiry { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Messages (and other events) between an inbox's snapshots; 0: three times <see cref="MaxMessages"/>.</summary>
    public int SnapshotEvery { get; set; }

    /// <summary>How long a SEND to a user with an inbox waits for the store before it is answered <c>error: inbox unavailable</c>.</summary>
    public TimeSpan AppendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a session that opted in waits for its inbox to open (the resume header) before it is closed with 1011.</summary>
    public TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>While an inbox's oldest write in flight is older than this, new messages to it are refused unwritten (zero: never).</summary>
    public TimeSpan ShedWritesAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A user's inbox actor without readers and unused this long is stopped (it recovers from the store when next needed).</summary>
    public TimeSpan PassivateAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary><c>sqlite</c> (embedded, one node) or <c>postgresql</c> (required for a cluster).</summary>
    public string Store { get; set; } = Sqlite;

    /// <summary>The store's connection string (for SQLite a relative <c>Data Source</c> is relative to the working directory).</summary>
    public string ConnectionString { get; set; } = "Data Source=relay-inbox.db";

    /// <summary>True when <see cref="Store"/> names the embedded SQLite store.</summary>
    public bool IsSqlite => string.Equals(Store, Sqlite, StringComparison.OrdinalIgnoreCase);

    /// <summary>The actor layer's settings.</summary>
    public InboxSettings ToSettings() => new(MaxMessages, MaxAge, IdleExpiry) { ShedWritesAfter = ShedWritesAfter, SnapshotEvery = SnapshotEvery };
}
