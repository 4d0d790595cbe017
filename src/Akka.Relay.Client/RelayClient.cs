using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Akka.Relay.Client;

/// <summary>
/// A client of the Akka.Relay WebSocket relay for one user: sends with their own acks, broadcasts, reads messages,
/// and reconnects by itself (backoff, fresh tokens, inbox resume). Thread-safe; dispose it to close the session.
/// </summary>
public sealed partial class RelayClient : IAsyncDisposable
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    // The first server's and the fallbacks' WebSocket endpoints; a failed handshake moves on to the next.
    private readonly Uri[] _endpoints;
    private int _endpointIndex;
    private readonly RelayClientOptions _options;
    private readonly Channel<Incoming> _incoming;
    private readonly Channel<PendingItem> _outgoing = Channel.CreateUnbounded<PendingItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();

    // SENDs written and not yet answered, in write order: acks answer them oldest first (docs/protocol.md section 4).
    private readonly LinkedList<PendingItem> _awaiting = new();

    // Taken from _outgoing (or back from _awaiting for a new session) and not yet on the wire, in write order: a SEND
    // leaves it for _awaiting just before its write, a BROADCAST once written. Whatever ends a session (a resync, a cut,
    // a dispose) while a write waits for its turn finds every such message here, never only in a write loop's hands.
    private readonly LinkedList<PendingItem> _unwritten = new();

    private RelayStateChange _state = new(RelayConnectionState.Connecting);
    private RelayPosition _handed = RelayPosition.Start;
    private RelayPosition _queued = RelayPosition.Start;

    // Released on every answer, echo or refusal: what a write in one-at-a-time mode waits for.
    private readonly SemaphoreSlim _answered = new(0);

    // Set once the server refused a message while more than one could have been the refused one: from then on, at
    // most one message is in flight, so every later refusal names its message.
    private volatile bool _oneAtATime;
    private Connection? _current;
    private Task _run = Task.CompletedTask;
    private int _disposed;

    private RelayClient(Uri server, ulong userId, RelayClientOptions options)
    {
        if (userId == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(userId), "user id 0 is reserved for the server");
        }

        UserId = userId;
        _options = options;
        _endpoints = [Endpoint(server, userId), .. options.FallbackServers.Select(fallback => Endpoint(fallback, userId))];
        _incoming = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(Math.Max(1, options.ReceiveBufferCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
    }

    /// <summary>Raised on every change of <see cref="State"/>, with the close code or handshake status that caused it.</summary>
    public event Action<RelayStateChange>? StateChanged;

    /// <summary>
    /// Raised when a resume reports a hole in the stored history (<c>"gap":true</c>): by <see cref="ReadAllAsync"/>, just
    /// before it hands over the first message after the hole.
    /// </summary>
    public event Action<RelayGap>? Gap;

    /// <summary>Raised for every <c>error: ...</c> reply of the server, with the reason after <c>error: </c>.</summary>
    public event Action<string>? ServerError;

    /// <summary>The user this client speaks for.</summary>
    public ulong UserId { get; }

    /// <summary>The connection's state now.</summary>
    public RelayConnectionState State => Volatile.Read(ref _state).State;

    /// <summary>The last state change, with its cause.</summary>
    public RelayStateChange LastStateChange => Volatile.Read(ref _state);

    /// <summary>The last stored message handed to the application (what a resume starts after).</summary>
    public RelayPosition Position => Volatile.Read(ref _handed);

    /// <summary>
    /// Connects as <paramref name="userId"/> to the relay at <paramref name="server"/> (e.g. <c>ws://127.0.0.1:8080</c>;
    /// <c>/ws/{id}</c> is appended). Throws <see cref="RelayHandshakeException"/> when the server refuses in a way a retry
    /// cannot fix, or the last error after <see cref="RelayClientOptions.MaxInitialConnectAttempts"/> attempts. With
    /// <see cref="RelayClientOptions.Resume"/> it returns once the server has opened the user's inbox (the resume header
    /// arrived), so every SEND to the user from then on is stored.
    /// </summary>
    public static async Task<RelayClient> ConnectAsync(Uri server, ulong userId, RelayClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var client = new RelayClient(server, userId, options ?? new RelayClientOptions());
        try
        {
            if (client._options.PositionStore is { } store)
            {
                var loaded = await store.LoadAsync(userId, cancellationToken).ConfigureAwait(false);
                client._handed = loaded;
                client._queued = loaded;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, client._lifetime.Token);
            var first = await client.ConnectWithRetriesAsync(initial: true, linked.Token).ConfigureAwait(false);
            client.SetState(new RelayStateChange(RelayConnectionState.Connected));
            client._run = Task.Run(() => client.RunAsync(first!), CancellationToken.None);
            return client;
        }
        catch
        {
            client.SetState(new RelayStateChange(RelayConnectionState.Closed));
            client._lifetime.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="content"/> to <paramref name="receiver"/> and completes with the server's answer to this SEND.
    /// While the connection is down the SEND waits and is written (again, with the same <c>mid</c>) on the next session;
    /// it completes with an error only when the client closes. Cancelling stops the wait, not a write already made.
    /// </summary>
    public async Task<SendResult> SendAsync(ulong receiver, string content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (receiver == 0)
        {
            return SendResult.Error("receiver 0 is the server");
        }

        var mid = NewMid();
        var payload = Wire.Send(receiver, content, mid);
        if (payload.Length > _options.MaxMessageBytes)
        {
            return SendResult.Error($"message too big: {payload.Length} bytes encoded, the limit is {_options.MaxMessageBytes}");
        }

        var item = PendingItem.Send(receiver, mid, payload);
        if (!Enqueue(item))
        {
            return SendResult.Error(ClosedReason());
        }

        using var registration = cancellationToken.Register(static s => ((PendingItem)s!).Completion.TrySetCanceled(), item);
        return await item.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Broadcasts <paramref name="content"/> to every session (this one included); completes when it is written.
    /// A broadcast is live only: one cut off mid-write is written again on the next session, one refused is not.
    /// </summary>
    public async Task BroadcastAsync(string content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var mid = NewMid();
        var payload = Wire.Broadcast(content, mid);
        if (payload.Length > _options.MaxMessageBytes)
        {
            throw new ArgumentException($"message too big: {payload.Length} bytes encoded, the limit is {_options.MaxMessageBytes}", nameof(content));
        }

        var item = PendingItem.Broadcast(mid, payload);
        if (!Enqueue(item))
        {
            throw new InvalidOperationException(ClosedReason());
        }

        using var registration = cancellationToken.Register(static s => ((PendingItem)s!).Completion.TrySetCanceled(), item);
        var result = await item.Completion.Task.ConfigureAwait(false);
        if (result.Outcome == SendOutcome.Error)
        {
            throw new InvalidOperationException(result.Reason);
        }
    }

    /// <summary>
    /// The messages for this user, in the order read, across reconnects; stored ones (with <c>Seq</c>) each once.
    /// One reader at a time. Ends when the client is closed.
    /// </summary>
    public async IAsyncEnumerable<RelayMessage> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_incoming.Reader.TryRead(out var item))
            {
                if (item.Gap is { } gap)
                {
                    Raise(Gap, gap);
                    continue;
                }

                var message = item.Message!;
                if (message.Seq is { } seq)
                {
                    var position = new RelayPosition(message.Epoch, seq);
                    Volatile.Write(ref _handed, position);
                    if (_options.PositionStore is { } store)
                    {
                        await store.SaveAsync(UserId, position, cancellationToken).ConfigureAwait(false);
                    }
                }

                yield return message;
            }
        }
    }

    /// <summary>Closes the session (1000) and stops reconnecting; unanswered SENDs complete with an error.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            await _run.ConfigureAwait(false);
            return;
        }

        _lifetime.Cancel();
        try
        {
            await _run.ConfigureAwait(false);
        }
        finally
        {
            Finish(new RelayStateChange(RelayConnectionState.Closed, WebSocketCloseStatus.NormalClosure, "disposed"));
            _lifetime.Dispose();
            _answered.Dispose();
        }
    }

    private static Uri Endpoint(Uri server, ulong userId)
    {
        var builder = new UriBuilder(server)
        {
            Scheme = server.Scheme switch { "https" or "wss" => "wss", _ => "ws" },
        };
        builder.Path = builder.Path.TrimEnd('/') + "/ws/" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Query = string.Empty;
        return builder.Uri;
    }

    private static string NewMid() => Guid.NewGuid().ToString("N");

    private bool Enqueue(PendingItem item)
    {
        lock (_gate)
        {
            return _state.State != RelayConnectionState.Closed && _outgoing.Writer.TryWrite(item);
        }
    }

    private string ClosedReason()
    {
        var state = LastStateChange;
        return state.CloseStatus is { } code
            ? $"the client is closed ({(int)code} {state.CloseReason})"
            : state.HandshakeStatus is { } status ? $"the client is closed (handshake refused: {(int)status})" : "the client is closed";
    }

    private void SetState(RelayStateChange change)
    {
        lock (_gate)
        {
            if (_state.State == RelayConnectionState.Closed)
            {
                return;
            }

            _state = change;
        }

        Raise(StateChanged, change);
    }

    private static void Raise<T>(Action<T>? handler, T value)
    {
        try
        {
            handler?.Invoke(value);
        }
        catch (Exception)
        {
            // An application's handler must not take the connection down with it.
        }
    }

    /// <summary>Final: Closed, every waiting SEND answered with an error, the reader's sequence ended.</summary>
    private void Finish(RelayStateChange closed)
    {
        SetState(closed);
        _outgoing.Writer.TryComplete();
        var reason = ClosedReason();
        List<PendingItem> left;
        lock (_gate)
        {
            left = [.. _awaiting, .. _unwritten];
            _awaiting.Clear();
            _unwritten.Clear();
        }

        while (_outgoing.Reader.TryRead(out var item))
        {
            left.Add(item);
        }

        foreach (var item in left)
        {
            item.Completion.TrySetResult(SendResult.Error(reason));
        }

        _incoming.Writer.TryComplete();
    }
}
