using System.Buffers;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// A session's read loop: reassembles frames, enforces the size limit, parses and stamps each
/// message, and reports to its ClientActor only by messages to that actor.
/// </summary>
internal static class ReadPump
{
    private static readonly InboundRejected RateLimited = new(ErrorReasons.RateLimited);

    public static async Task RunAsync(WebSocket socket, IActorRef session, ulong userId, int maxMessageBytes, SendCredit sendCredit, RateLimitSettings? rateLimitSettings = null, RelayMetrics? metrics = null)
    {
        var end = ReadEnd.Dropped;
        // One byte more than the limit tells "exactly at the limit" from "over it".
        var limit = maxMessageBytes + 1;
        var violated = false;
        byte[]? buffer = null;
        using var rateLimit = rateLimitSettings is null ? null : new SessionRateLimit(rateLimitSettings);
        try
        {
            while (true)
            {
                // Wait for the next frame with a zero-byte read, so that an idle session holds no
                // buffer; one is rented from the pool only while a message is being read.
                var result = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    end = ReadEnd.CloseReceived;
                    break;
                }

                var messageType = result.MessageType;
                var count = 0;
                buffer = ArrayPool<byte>.Shared.Rent(limit);
                while (!result.EndOfMessage && (violated || count < limit))
                {
                    // After a violation, keep reading (and dropping) until the client's close
                    // frame arrives, so the close handshake can complete.
                    var target = violated ? buffer.AsMemory(0, limit) : buffer.AsMemory(count, limit - count);
                    result = await socket.ReceiveAsync(target, CancellationToken.None).ConfigureAwait(false);
                    metrics?.BytesReceived(result.Count);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    if (!violated)
                    {
                        count += result.Count;
                    }
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    end = ReadEnd.CloseReceived;
                    break;
                }

                if (violated)
                {
                    Release(ref buffer);
                    continue;
                }

                if (messageType == WebSocketMessageType.Binary)
                {
                    violated = true;
                    Release(ref buffer);
                    session.Tell(CloseSession.BinaryFrame);
                    continue;
                }

                if (count > maxMessageBytes)
                {
                    violated = true;
                    Release(ref buffer);
                    session.Tell(CloseSession.TooBig);
                    continue;
                }

                // Every message counts against the rate, valid or not, and is checked before the
                // parse so that a flood costs as little as possible.
                switch (rateLimit?.Take())
                {
                    case RateDecision.Rejected:
                        Release(ref buffer);
                        // Its error reply counts against the credit like an ack does.
                        await sendCredit.TakeAsync().ConfigureAwait(false);
                        session.Tell(RateLimited);
                        continue;
                    case RateDecision.Exceeded:
                        violated = true;
                        Release(ref buffer);
                        session.Tell(CloseSession.RateLimitExceeded);
                        continue;
                }

                // The parsed message owns its bytes; the buffer goes back before any wait for credit.
                var message = MessageParser.Parse(buffer.AsSpan(0, count), userId);
                Release(ref buffer);
                if (message.Kind != InboundKind.Broadcast)
                {
                    // A SEND (answered by an ack) and a refused message (by an error reply) each take a credit,
                    // given back once the answer is written: at the limit, the next socket read waits for that.
                    await sendCredit.TakeAsync().ConfigureAwait(false);
                }

                session.Tell(ToActorMessage(message));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Dropped TCP connection, keep-alive timeout (the server aborts the socket), or our own abort.
            end = e switch
            {
                OperationCanceledException or ObjectDisposedException => ReadEnd.Aborted,
                WebSocketException { WebSocketErrorCode: WebSocketError.Faulted } => ReadEnd.ProtocolError,
                _ => ReadEnd.Dropped,
            };
        }
        finally
        {
            Release(ref buffer);
            session.Tell(new ReadPumpStopped(end));
        }
    }

    private static void Release(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private static object ToActorMessage(InboundMessage message) => message.Kind switch
    {
        InboundKind.Send => new InboundSend(message.Receiver, message.Payload!) { Mid = message.Mid, MidError = message.MidError },
        InboundKind.Broadcast => new InboundBroadcast(message.Payload!),
        _ => new InboundRejected(message.Error!),
    };
}
