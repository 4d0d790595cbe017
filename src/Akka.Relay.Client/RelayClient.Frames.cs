using System.Text;
using System.Text.Json;

namespace Akka.Relay.Client;

// What each frame from the server means: an answer to a SEND, a refusal, a resume header, or a message for the application.
public sealed partial class RelayClient
{
    private async ValueTask OnFrameAsync(Connection connection, ReadOnlyMemory<byte> frame)
    {
        RelayMessage message;
        bool? gap = null;
        ulong first = 0, last = 0;
        using (var document = JsonDocument.Parse(frame))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || !typeElement.TryGetInt32(out var type))
            {
                return; // Not a relay message: nothing the client can act on.
            }

            var sender = UInt64(root, "sender") ?? 0;
            var receiver = UInt64(root, "receiver");
            var content = root.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            var seq = UInt64(root, "seq");
            if (type == 2 && sender == 0)
            {
                switch (content)
                {
                    case Wire.SuccessSend:
                        Answer(connection, receiver, SendResult.Delivered);
                        return;
                    case Wire.NotOnline:
                        Answer(connection, receiver, SendResult.NotOnline);
                        return;
                    case Wire.Stored:
                        Answer(connection, receiver, SendResult.Stored);
                        return;
                    case Wire.Resume when root.TryGetProperty("epoch", out var e) && e.ValueKind == JsonValueKind.String:
                        connection.Epoch = e.GetString();
                        first = UInt64(root, "first") ?? 0;
                        last = UInt64(root, "last") ?? 0;
                        gap = root.TryGetProperty("gap", out var g) && g.ValueKind == JsonValueKind.True;
                        break;
                    case not null when content.StartsWith(Wire.ErrorPrefix, StringComparison.Ordinal):
                        OnRefusal(connection, content[Wire.ErrorPrefix.Length..]);
                        return;
                }
            }

            if (gap is not null)
            {
                await OnResumeAsync(connection, first, last, gap.Value).ConfigureAwait(false);
                return;
            }

            if (sender == UserId && type != 1 && root.TryGetProperty("mid", out var mid) && mid.ValueKind == JsonValueKind.String)
            {
                // Our own BROADCAST came back: the server took it, so it can no longer be the one a refusal is about.
                lock (_gate)
                {
                    connection.Unechoed.Remove(mid.GetString()!);
                }

                SignalAnswered();
            }

            message = new RelayMessage(type, sender, receiver, content, seq, seq is null ? null : connection.Epoch, Encoding.UTF8.GetString(frame.Span));
        }

        if (message.Seq is { } n)
        {
            // A replayed copy of what is already queued or handed over: each stored message reaches the application once.
            if (string.Equals(_queued.Epoch, message.Epoch, StringComparison.Ordinal) && n <= _queued.Seq)
            {
                return;
            }

        }

        // Waits while the application is behind: the socket is not read meanwhile, which pushes back to the server.
        await _incoming.Writer.WriteAsync(Incoming.Of(message), connection.Token).ConfigureAwait(false);
        if (message.Seq is { } queued)
        {
            // Only once it is in the buffer: a message dropped by the end of the session is replayed by the resume.
            _queued = new RelayPosition(message.Epoch, queued);
        }
    }

    private static ulong? UInt64(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var number) ? number : null;

    /// <summary>An ack answers the oldest unanswered SEND of this session (acks come in SEND order).</summary>
    private void Answer(Connection connection, ulong? receiver, SendResult result)
    {
        PendingItem? oldest;
        lock (_gate)
        {
            oldest = _awaiting.First?.Value;
            if (oldest is null || (receiver is { } r && r != oldest.Receiver))
            {
                oldest = null;
            }
            else
            {
                _awaiting.RemoveFirst();
            }
        }

        if (oldest is null)
        {
            // An ack that fits no SEND: the count is off, so no later ack can be trusted on this session.
            connection.RequestResync();
            return;
        }

        oldest.Completion.TrySetResult(result);
        SignalAnswered();
    }

    /// <summary>
    /// An <c>error: ...</c> reply. A route failure answers the oldest SEND in ack order. Any other refusal (in practice
    /// <c>rate limited</c>: the client never writes what the parser would refuse) is written at once and may overtake
    /// earlier acks, so it names no message: it is matched only when exactly one message could be the refused one.
    /// Otherwise the session is ended, its unanswered SENDs are resent on a new one, and from then on the client keeps
    /// one message in flight at a time, so that a refusal never again leaves a doubt (and never loops).
    /// </summary>
    private void OnRefusal(Connection connection, string reason)
    {
        Raise(ServerError, reason);
        if (reason == Wire.NoRoute)
        {
            Answer(connection, receiver: null, SendResult.Error(reason));
            return;
        }

        PendingItem? refused = null;
        bool ambiguous;
        lock (_gate)
        {
            var candidates = _awaiting.Count + connection.Unechoed.Count;
            ambiguous = candidates > 1;
            if (candidates == 1)
            {
                if (_awaiting.Count == 1)
                {
                    refused = _awaiting.First!.Value;
                    _awaiting.Clear();
                }
                else
                {
                    connection.Unechoed.Clear(); // The broadcast was refused; it is not written again.
                }
            }
        }

        refused?.Completion.TrySetResult(SendResult.Error(reason));
        SignalAnswered();
        if (ambiguous)
        {
            // Which one was refused cannot be known: resend the unanswered ones on a new session, one at a time.
            _oneAtATime = true;
            connection.RequestResync();
        }
    }

    /// <summary>Wakes a write waiting in one-at-a-time mode; it checks again what is outstanding, so one signal suffices.</summary>
    private void SignalAnswered()
    {
        if (_answered.CurrentCount == 0)
        {
            _answered.Release();
        }
    }

    private async ValueTask OnResumeAsync(Connection connection, ulong first, ulong last, bool gap)
    {
        var epoch = connection.Epoch!;
        if (gap)
        {
            // Raised by ReadAllAsync just before the first message after the hole, so a handler attached after
            // ConnectAsync returns still sees it (the first header may be read before), and LastSeen is what the
            // application will have taken by then: everything buffered before the gap.
            await _incoming.Writer.WriteAsync(Incoming.Of(new RelayGap(epoch, first, last, _queued)), connection.Token).ConfigureAwait(false);
        }

        if (!string.Equals(_queued.Epoch, epoch, StringComparison.Ordinal))
        {
            // A new inbox: its numbers start over, nothing of it was seen yet.
            _queued = new RelayPosition(epoch, 0);
        }
    }
}
