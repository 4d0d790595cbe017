namespace Akka.Relay.Actors.Inbox;

/// <summary>Retention and recovery settings of every user's inbox (protocol section 9.4).</summary>
/// <param name="MaxMessages">Messages kept per user; the oldest are dropped first.</param>
/// <param name="MaxAge">Stored messages older than this are dropped.</param>
/// <param name="IdleExpiry">An inbox with no reader this long is deleted.</param>
public sealed record InboxSettings(int MaxMessages, TimeSpan MaxAge, TimeSpan IdleExpiry)
{
    /// <summary>The protocol's defaults: 1000 messages, 7 days, 30 days.</summary>
    public static readonly InboxSettings Default = new(1000, TimeSpan.FromDays(7), TimeSpan.FromDays(30));

    /// <summary>
    /// Messages (and other events) between snapshots; after each snapshot the journal before it is deleted, so a user's
    /// journal holds at most about this many messages. Zero means three times <see cref="MaxMessages"/>: each snapshot
    /// rewrites up to <see cref="MaxMessages"/> messages, and at one per <see cref="MaxMessages"/> those rewrites held
    /// persisted throughput back (docs/inbox.md), while a recovery replays batched events cheaply.
    /// </summary>
    public int SnapshotEvery { get; init; }

    /// <summary>How often a running inbox drops messages past <see cref="MaxAge"/> and checks <see cref="IdleExpiry"/>.</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The first wait before an inbox stopped by a store failure starts again.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between restarts while the store stays down.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While this inbox's oldest write still in flight is older than this, a new message is refused at once (answered
    /// <c>error: inbox unavailable</c>, never written) instead of queued behind it: an overloaded store then sheds
    /// load before a requester's deadline passes, so an "unavailable" answer is not followed by a late write that
    /// delivers the message after all. Zero turns it off. Keep it well below the requesters' append timeout.
    /// </summary>
    public TimeSpan ShedWritesAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The snapshot interval in effect.</summary>
    public int EffectiveSnapshotEvery => SnapshotEvery > 0 ? SnapshotEvery : 3 * Math.Max(1, MaxMessages);
}
