using System.Diagnostics;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// One user's session that opted in, as the <c>storm</c> scenario sees it: it expects the resume
/// header with first..last, then exactly the messages seq first..last from one sender, in order,
/// whose content sequence is seq - 1 (the order they were sent in). <see cref="Done"/> completes once
/// the header and seq <c>last</c> have arrived, whatever came between; the counters say what was wrong.
/// </summary>
public sealed class ResumingUser : IMessageSink
{
    private readonly ulong _sender;
    private readonly long _expectedLast;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;
    private long _contentMismatches;
    private long _unexpected;
    private long _headerAt;
    private long _lastAt;

    /// <summary>A user that expects the header <paramref name="expectedFirst"/>..<paramref name="expectedLast"/> and then those messages from <paramref name="sender"/>.</summary>
    public ResumingUser(ulong userId, ulong sender, long expectedFirst, long expectedLast)
    {
        UserId = userId;
        _sender = sender;
        _expectedLast = expectedLast;
        Inbox = new InboxSequence(optedIn: true, expectedFirst, expectedLast);
    }

    /// <summary>The user's id.</summary>
    public ulong UserId { get; }

    /// <summary>The check of the header and of the seq order.</summary>
    public InboxSequence Inbox { get; }

    /// <summary>Completes when the header and the last expected message have arrived.</summary>
    public Task Done => _done.Task;

    /// <summary>Messages from the expected sender received (in order or not).</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Messages whose content sequence was not seq - 1: the store handed out another message under that seq.</summary>
    public long ContentMismatches => Volatile.Read(ref _contentMismatches);

    /// <summary>Frames that were neither the header nor a message from the expected sender.</summary>
    public long Unexpected => Volatile.Read(ref _unexpected);

    /// <summary>The <see cref="Stopwatch"/> timestamp of the header (0: not yet).</summary>
    public long HeaderAt => Volatile.Read(ref _headerAt);

    /// <summary>The <see cref="Stopwatch"/> timestamp of the message that completed the user (0: not yet).</summary>
    public long LastAt => Volatile.Read(ref _lastAt);

    /// <inheritdoc />
    public void OnMessage(ReadOnlySpan<byte> message)
    {
        var now = Stopwatch.GetTimestamp();
        if (!WireFormat.TryRead(message, out var m))
        {
            Volatile.Write(ref _unexpected, _unexpected + 1);
            return;
        }

        if (m.Type == WireFormat.TypeSystem && m.Kind == ContentKind.Resume)
        {
            Inbox.OnHeader(m.Header!);
            Volatile.Write(ref _headerAt, now);
        }
        else if (m.Type == WireFormat.TypeSend && m.Kind == ContentKind.Timed && m.Sender == _sender)
        {
            Inbox.OnDelivered(m.Seq);
            if (m.Sequence != m.Seq - 1)
            {
                Volatile.Write(ref _contentMismatches, _contentMismatches + 1);
            }

            Volatile.Write(ref _received, _received + 1);
        }
        else
        {
            Volatile.Write(ref _unexpected, _unexpected + 1);
            return;
        }

        if (_lastAt == 0 && Inbox.Header is not null && Inbox.LastSeq >= _expectedLast)
        {
            Volatile.Write(ref _lastAt, now);
            _done.TrySetResult();
        }
    }
}
