using System.Diagnostics;
using System.Net.WebSockets;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// A sender of the <c>storm</c> scenario's fill phase: sends <c>messages</c> SENDs to each of its
/// (offline, opted-in) users, round by round (content sequence k in round k), with at most a window
/// unanswered, and counts the answers; every one should be <c>stored</c>.
/// </summary>
public sealed class InboxFiller : IMessageSink
{
    private readonly ulong[] _users;
    private readonly int _messages;
    private readonly int _size;
    private readonly SemaphoreSlim _slots;
    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sent;
    private long _stored;
    private long _success;
    private long _notOnline;
    private long _inboxUnavailable;
    private long _errors;
    private long _unexpected;

    /// <summary>A sender with id <paramref name="senderId"/> for <paramref name="users"/>, <paramref name="messages"/> each.</summary>
    public InboxFiller(ulong senderId, ulong[] users, int messages, int window, int size)
    {
        SenderId = senderId;
        _users = users;
        _messages = messages;
        _size = size;
        _slots = new SemaphoreSlim(window);
        if (users.Length == 0)
        {
            _answered.TrySetResult();
        }
    }

    /// <summary>This sender's user id.</summary>
    public ulong SenderId { get; }

    /// <summary>SENDs this sender makes in all.</summary>
    public long Planned => (long)_users.Length * _messages;

    /// <summary>Completes when every planned SEND has been answered.</summary>
    public Task Answered => _answered.Task;

    /// <summary>Why sending stopped early, if it did.</summary>
    public string? SendFailure { get; private set; }

    /// <summary>SENDs written.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary><c>stored</c> answers.</summary>
    public long Stored => Volatile.Read(ref _stored);

    /// <summary><c>success send</c> answers (a session of the receiver was still live).</summary>
    public long Success => Volatile.Read(ref _success);

    /// <summary><c>not online</c> answers (the receiver had no inbox).</summary>
    public long NotOnline => Volatile.Read(ref _notOnline);

    /// <summary><c>error: inbox unavailable</c> answers.</summary>
    public long InboxUnavailable => Volatile.Read(ref _inboxUnavailable);

    /// <summary>Other <c>error: …</c> answers.</summary>
    public long Errors => Volatile.Read(ref _errors);

    /// <summary>Frames that were not answers.</summary>
    public long Unexpected => Volatile.Read(ref _unexpected);

    /// <summary>Answers of every kind.</summary>
    public long Answers => Stored + Success + NotOnline + InboxUnavailable + Errors;

    /// <inheritdoc />
    public void OnMessage(ReadOnlySpan<byte> message)
    {
        if (!WireFormat.TryRead(message, out var m) || m.Type != WireFormat.TypeSystem || m.Kind is ContentKind.Resume or ContentKind.Other or ContentKind.None)
        {
            Volatile.Write(ref _unexpected, _unexpected + 1);
            return;
        }

        switch (m.Kind)
        {
            case ContentKind.Stored:
                Volatile.Write(ref _stored, _stored + 1);
                break;
            case ContentKind.SuccessSend:
                Volatile.Write(ref _success, _success + 1);
                break;
            case ContentKind.NotOnline:
                Volatile.Write(ref _notOnline, _notOnline + 1);
                break;
            case ContentKind.InboxUnavailable:
                Volatile.Write(ref _inboxUnavailable, _inboxUnavailable + 1);
                break;
            default:
                Volatile.Write(ref _errors, _errors + 1);
                break;
        }

        _slots.Release();
        if (Answers >= Planned)
        {
            _answered.TrySetResult();
        }
    }

    /// <summary>Sends every planned SEND over <paramref name="connection"/> unless <paramref name="stop"/> fires first.</summary>
    public async Task SendAllAsync(RelayConnection connection, MessageBudget budget, CancellationToken stop)
    {
        await Task.Yield();
        var buffer = new byte[WireFormat.MaxEncodedLength(_size)];
        try
        {
            for (var k = 0; k < _messages; k++)
            {
                foreach (var user in _users)
                {
                    await _slots.WaitAsync(stop).ConfigureAwait(false);
                    if (!budget.TryTake())
                    {
                        return;
                    }

                    var length = WireFormat.EncodeTimed(buffer, WireFormat.TypeSend, SenderId, user, k, Stopwatch.GetTimestamp(), _size);
                    Volatile.Write(ref _sent, _sent + 1);
                    await connection.SendAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            SendFailure = e is WebSocketException ws ? $"send:{ws.WebSocketErrorCode}" : $"send:{e.GetType().Name}";
        }
    }
}
