using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// One user's durable inbox (protocol section 9): numbers the SENDs addressed to the user within an epoch, stores each
/// before anyone hears of it, replays them to resuming sessions and hands new ones to the live readers, all in its
/// mailbox order. Retention through snapshots and journal deletes keeps both the store and a recovery bounded.
/// </summary>
public sealed class InboxActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>The reason given to requesters and readers when the store failed or rejected a write.</summary>
    public const string StoreFailedReason = "the inbox store failed";

    /// <summary>The reason given when a message was refused unwritten because the store is too far behind.</summary>
    public const string StoreBehindReason = "the inbox store is too far behind";

    private const string RetentionTimer = "retention";

    // Messages per event at most: a long burst becomes several events, so no single row or recovery step grows without bound.
    private const int MaxBatch = 256;

    private readonly ulong _userId;
    private readonly InboxSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Kept messages, oldest first, seqs contiguous: index = seq - first.
    private readonly KeptMessages _kept = new();
    private readonly Dictionary<(ulong Sender, string Mid), StoredMessage> _byMid = [];

    // Retries of a message whose first copy is still being written wait for its outcome.
    private readonly Dictionary<(ulong Sender, string Mid), List<(long RequestId, IActorRef ReplyTo)>> _waitingForMid = [];

    // What to tell whom when an event still being written fails or is rejected (by reference: equal records are distinct writes).
    private readonly Dictionary<object, Action> _onWriteFailure = new(ReferenceEqualityComparer.Instance);

    // SENDs that came while a batch of messages was being written: they are written together as the next batch.
    private readonly List<PendingAppend> _queued = [];
    private bool _batchInFlight;
    private long _batchStartedAt;

    // Set once the actor is stopping (a failed write, or PostStop): nothing more may be written then.
    private bool _stopping;

    private readonly HashSet<IActorRef> _readers = [];
    private int _opening;
    private bool _creating;

    private string? _epoch;
    private ulong _last;
    private DateTime _lastActivity;
    private int _eventsSinceSnapshot;

    /// <summary>Creates the inbox of <paramref name="userId"/>.</summary>
    public InboxActor(ulong userId, InboxSettings settings)
    {
        _userId = userId;
        _settings = settings;
        PersistenceId = PersistenceIdOf(userId);

        Recover<SnapshotOffer>(offer => Restore((InboxSnapshot)offer.Snapshot));
        Recover<InboxOpened>(Apply);
        Recover<MessageStored>(e => Apply(e));
        Recover<MessagesStored>(e =>
        {
            foreach (var message in e.Messages)
            {
                Apply(message);
            }
        });
        Recover<ReaderActivity>(Apply);
        Recover<InboxExpired>(Apply);
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<AppendToInbox>(Append);
        Command<OpenInboxReader>(Open);
        Command<CloseInboxReader>(close => Detach(close.Reader));
        Command<Terminated>(terminated => Detach(terminated.ActorRef));
        Command<GetInboxStatus>(_ => Sender.Tell(Status()));
        Command<RetentionTick>(_ => EnforceRetention());
        Command<SaveSnapshotSuccess>(saved => Compact(saved.Metadata));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "Inbox {0}: snapshot not saved; the journal keeps its events until the next one", _userId));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning(failed.Cause, "Inbox {0}: old events not deleted; the next snapshot retries", _userId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "Inbox {0}: old snapshots not deleted; the next snapshot retries", _userId));
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The persistence id of <paramref name="userId"/>'s inbox.</summary>
    public static string PersistenceIdOf(ulong userId) => "inbox-" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The inbox actor itself: it stops when the store fails.</summary>
    public static Props GetProps(ulong userId, InboxSettings settings) => Akka.Actor.Props.Create(() => new InboxActor(userId, settings));

    /// <summary>
    /// The inbox under a backoff supervisor that starts it again after a store failure (between
    /// <see cref="InboxSettings.MinBackoff"/> and <see cref="InboxSettings.MaxBackoff"/>); messages sent while it is
    /// down are lost, so requesters bound their wait and answer <c>error: inbox unavailable</c>.
    /// </summary>
    public static Props GetSupervisedProps(ulong userId, InboxSettings settings) =>
        BackoffSupervisor.Props(GetProps(userId, settings), "inbox", settings.MinBackoff, settings.MaxBackoff, 0.2);

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The store refused this one write (e.g. serialization) and carries on: only its requester hears of it.
        _log.Warning(cause, "Inbox {0}: the store rejected {1}", _userId, @event.GetType().Name);
        if (_onWriteFailure.Remove(@event, out var fail))
        {
            fail();
        }
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops the actor after this; PostStop answers every write still in flight and every queued message.
        _stopping = true;
        _log.Warning(cause, "Inbox {0}: the store failed to write {1}; stopping until it comes back", _userId, @event.GetType().Name);
        if (_onWriteFailure.Remove(@event, out var fail))
        {
            fail();
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Writes still in flight may yet land, but nobody will be told: their requesters hear "unavailable"
        // (a retry with the same mid is then answered from the stored copy, so nothing is stored twice).
        _stopping = true;
        foreach (var fail in _onWriteFailure.Values.ToArray())
        {
            fail();
        }

        _onWriteFailure.Clear();
        foreach (var pending in _queued)
        {
            Fail(pending, StoreFailedReason);
        }

        _queued.Clear();
        foreach (var reader in _readers)
        {
            reader.Tell(new InboxReaderLost(_userId));
        }

        base.PostStop();
    }

    private void Append(AppendToInbox append)
    {
        var replyTo = Sender;
        if (!Exists())
        {
            replyTo.Tell(new NoInbox(append.RequestId));
            return;
        }

        if (IdleExpired(DateTime.UtcNow))
        {
            // Past its expiry the inbox is gone even if the check has not run yet: storing now would be deleted unseen.
            Expire();
            replyTo.Tell(new NoInbox(append.RequestId));
            return;
        }

        (ulong, string) key = default;
        if (append.Mid is { } mid)
        {
            key = (append.Sender, mid);
            if (_byMid.TryGetValue(key, out var held))
            {
                replyTo.Tell(new InboxAppended(append.RequestId, held.Seq, held.ReadersLive, Duplicate: true));
                return;
            }

            if (_waitingForMid.TryGetValue(key, out var waiting))
            {
                waiting.Add((append.RequestId, replyTo));
                return;
            }

            _waitingForMid[key] = [];
        }

        if (StoreIsBehind())
        {
            // Never written, so the "unavailable" answer stays true; a retry with the same mid is written then.
            Fail(new PendingAppend(append, replyTo, key), StoreBehindReason);
            return;
        }

        _queued.Add(new PendingAppend(append, replyTo, key));
        if (!_batchInFlight)
        {
            WriteQueued();
        }
    }

    private void WriteQueued()
    {
        if (_queued.Count == 0)
        {
            return;
        }

        if (!Exists())
        {
            // Expired while these waited: the hub sends them the version 1 way.
            foreach (var pending in _queued)
            {
                pending.ReplyTo.Tell(new NoInbox(pending.Append.RequestId));
                ReleaseRetries(pending, requestId => new NoInbox(requestId));
            }

            _queued.Clear();
            return;
        }

        var take = Math.Min(_queued.Count, MaxBatch);
        var batch = _queued.GetRange(0, take).ToArray();
        _queued.RemoveRange(0, take);

        var now = DateTime.UtcNow;
        var readersLive = _readers.Count + _opening > 0;
        var messages = new MessageStored[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            var append = batch[i].Append;
            messages[i] = new MessageStored(append.Sender, append.Mid, append.Payload, now, readersLive || append.SessionsLive);
        }

        var stored = new MessagesStored(messages);
        _onWriteFailure[stored] = () =>
        {
            _batchInFlight = false;
            foreach (var pending in batch)
            {
                Fail(pending, StoreFailedReason);
            }

            // After a rejection the actor carries on and the next batch may pass; after a failure it stops, and
            // PostStop answers what is still queued without writing it.
            if (!_stopping)
            {
                WriteQueued();
            }
        };

        _batchInFlight = true;
        _batchStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        PersistAsync(stored, e =>
        {
            _batchInFlight = false;
            _onWriteFailure.Remove(e);
            for (var i = 0; i < batch.Length; i++)
            {
                Stored(batch[i], Apply(e.Messages[i]));
            }

            Persisted(batch.Length);
            WriteQueued();
        });
    }

    private void Stored(PendingAppend pending, StoredMessage? message)
    {
        if (message is null)
        {
            Fail(pending, StoreFailedReason);
            return;
        }

        pending.ReplyTo.Tell(new InboxAppended(pending.Append.RequestId, message.Seq, message.ReadersLive, Duplicate: false));
        ReleaseRetries(pending, requestId => new InboxAppended(requestId, message.Seq, message.ReadersLive, Duplicate: true));

        // Durable now: only from here on may anyone see it.
        var delivery = new InboxDelivery(message.Seq, message.Payload);
        foreach (var reader in _readers)
        {
            reader.Tell(delivery);
        }
    }

    private void Fail(PendingAppend pending, string reason)
    {
        pending.ReplyTo.Tell(new InboxAppendFailed(pending.Append.RequestId, reason));
        ReleaseRetries(pending, requestId => new InboxAppendFailed(requestId, reason));
    }

    private void ReleaseRetries(PendingAppend pending, Func<long, object> answer)
    {
        if (pending.Append.Mid is not null && _waitingForMid.Remove(pending.MidKey, out var retries))
        {
            foreach (var (requestId, retryReplyTo) in retries)
            {
                retryReplyTo.Tell(answer(requestId));
            }
        }
    }

    private bool StoreIsBehind() =>
        _settings.ShedWritesAfter > TimeSpan.Zero
        && _batchInFlight
        && System.Diagnostics.Stopwatch.GetElapsedTime(_batchStartedAt) > _settings.ShedWritesAfter;

    private void Open(OpenInboxReader open)
    {
        var reader = open.Reader;
        var now = DateTime.UtcNow;
        if (Exists() && IdleExpired(now))
        {
            Expire();
        }

        if (!Exists())
        {
            _creating = true;
            var created = new InboxOpened(Epochs.New(), now);
            _onWriteFailure[created] = () => _creating = false;
            PersistAsync(created, e =>
            {
                _onWriteFailure.Remove(e);
                _creating = false;
                Apply(e);
                Persisted();
            });
        }

        // The reader joins when this write is handled: every message stored before it is in its replay, every
        // one after it reaches it live, because both are decided in this actor's order of persisted events.
        _opening++;
        var activity = new ReaderActivity(now);
        _onWriteFailure[activity] = () =>
        {
            _opening--;
            reader.Tell(new InboxReaderFailed(StoreFailedReason));
        };
        PersistAsync(activity, e =>
        {
            _onWriteFailure.Remove(e);
            _opening--;
            Apply(e);
            Persisted();
            if (_epoch is not { } epoch)
            {
                // Creating the inbox was rejected just before.
                reader.Tell(new InboxReaderFailed(StoreFailedReason));
                return;
            }

            var oldest = Oldest();
            var point = ResumePoint.Compute(open.ResumeFrom, open.Epoch, epoch, oldest, _last);
            reader.Tell(new InboxReaderOpened(epoch, point.First, _last, point.Gap, SystemMessages.ResumeHeader(_userId, epoch, point.First, _last, point.Gap)));
            for (var seq = point.First; seq <= _last; seq++)
            {
                var message = _kept[(int)(seq - oldest)];
                reader.Tell(new InboxDelivery(message.Seq, message.Payload));
            }

            if (_readers.Add(reader))
            {
                Context.Watch(reader);
            }
        });
    }

    private void Detach(IActorRef reader)
    {
        if (!_readers.Remove(reader))
        {
            return;
        }

        Context.Unwatch(reader);
        if (_readers.Count == 0 && _opening == 0 && Exists())
        {
            // The idle time starts now; it must survive a restart, since a passivated inbox runs no timers.
            var activity = new ReaderActivity(DateTime.UtcNow);
            _onWriteFailure[activity] = () => { };
            PersistAsync(activity, e =>
            {
                _onWriteFailure.Remove(e);
                Apply(e);
                Persisted();
            });
        }
    }

    private void OnRecovered()
    {
        Timers.StartPeriodicTimer(RetentionTimer, RetentionTick.Instance, _settings.RetentionCheckInterval);
        EnforceRetention();
    }

    private void EnforceRetention()
    {
        var now = DateTime.UtcNow;
        if (Exists() && IdleExpired(now))
        {
            Expire();
            return;
        }

        if (DropOlderThan(now - _settings.MaxAge) && _eventsSinceSnapshot > 0)
        {
            // The journal still holds what was dropped: a snapshot lets it go.
            TakeSnapshot();
        }
    }

    private void Expire()
    {
        _log.Info("Inbox {0}: no reader for {1}, deleted", _userId, _settings.IdleExpiry);
        var expired = new InboxExpired(DateTime.UtcNow);
        Apply(expired);

        // The tombstone ends any recovery of what the deletes below miss; the deletes then remove it too.
        _onWriteFailure[expired] = () => { };
        PersistAsync(expired, e =>
        {
            _onWriteFailure.Remove(e);
            _eventsSinceSnapshot = 0;
            // Only up to the tombstone: a new epoch may already be writing after it.
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(LastSequenceNr));
        });
    }

    private void Persisted(int messages = 1)
    {
        // Counted in messages as well as events, so the journal after a snapshot holds at most about this many.
        _eventsSinceSnapshot += messages;
        if (_eventsSinceSnapshot >= _settings.EffectiveSnapshotEvery)
        {
            TakeSnapshot();
        }
    }

    private void TakeSnapshot()
    {
        _eventsSinceSnapshot = 0;
        SaveSnapshot(new InboxSnapshot(_epoch, _last, _lastActivity, _kept.ToArray()));
    }

    private void Compact(SnapshotMetadata saved)
    {
        // Everything up to the snapshot is in it: the journal keeps only what came after, and one snapshot is enough.
        DeleteMessages(saved.SequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(saved.SequenceNr - 1));
    }

    private void Restore(InboxSnapshot snapshot)
    {
        _epoch = snapshot.Epoch;
        _last = snapshot.Last;
        _lastActivity = snapshot.LastActivity;
        _kept.Clear();
        _byMid.Clear();
        foreach (var message in snapshot.Messages)
        {
            Keep(message);
        }
    }

    private void Apply(InboxOpened opened)
    {
        Reset();
        _epoch = opened.Epoch;
        _lastActivity = opened.At;
    }

    private StoredMessage? Apply(MessageStored stored)
    {
        if (_epoch is null)
        {
            // Only when the inbox was deleted while this write was in flight.
            return null;
        }

        // The seq is the epoch's count of stored messages: a write that never landed leaves no hole.
        var seq = ++_last;
        var message = new StoredMessage(seq, stored.Sender, stored.Mid, SequenceStamp.Apply(stored.Payload, seq), stored.At, stored.ReadersLive);
        Keep(message);
        while (_kept.Count > _settings.MaxMessages)
        {
            DropOldest(1);
        }

        return message;
    }

    private void Apply(ReaderActivity activity) => _lastActivity = activity.At;

    private void Apply(InboxExpired expired) => Reset();

    private void Reset()
    {
        _epoch = null;
        _last = 0;
        _kept.Clear();
        _byMid.Clear();
    }

    private void Keep(StoredMessage message)
    {
        _kept.Add(message);
        if (message.Mid is { } mid)
        {
            _byMid[(message.Sender, mid)] = message;
        }
    }

    private bool DropOlderThan(DateTime cutoff)
    {
        var count = 0;
        while (count < _kept.Count && _kept[count].At < cutoff)
        {
            count++;
        }

        DropOldest(count);
        return count > 0;
    }

    private void DropOldest(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (_kept[i].Mid is { } mid)
            {
                _byMid.Remove((_kept[i].Sender, mid));
            }
        }

        _kept.DropOldest(count);
    }

    private bool Exists() => _epoch is not null || _creating;

    private bool IdleExpired(DateTime now) =>
        _epoch is not null && _readers.Count == 0 && _opening == 0 && now - _lastActivity >= _settings.IdleExpiry;

    private ulong Oldest() => _kept.Count > 0 ? _kept[0].Seq : _last + 1;

    private InboxStatus Status() => new(_epoch, Oldest(), _last, _kept.Count, _readers.Count);

    private sealed record PendingAppend(AppendToInbox Append, IActorRef ReplyTo, (ulong Sender, string Mid) MidKey);

    private sealed record RetentionTick
    {
        public static readonly RetentionTick Instance = new();
    }
}
