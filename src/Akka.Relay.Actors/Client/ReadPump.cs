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
        var buffer = new byte[maxMessageBytes + 1];
        var violated = false;
        using var rateLimit = rateLimitSettings is null ? null : new SessionRateLimit(rateLimitSettings);
        try
        {
            while (true)
            {
                var count = 0;
                var first = true;
                var messageType = WebSocketMessageType.Text;
                ValueWebSocketReceiveResult result;
                do
                {
                    // After a violation, keep reading (and dropping) until the client's close
                    // frame arrives, so the close handshake can complete.
                    var target = violated ? buffer.AsMemory() : buffer.AsMemory(count);
                    result = await socket.ReceiveAsync(target, CancellationToken.None).ConfigureAwait(false);
                    metrics?.BytesReceived(result.Count);
                    if (first)
                    {
                        messageType = result.MessageType;
                        first = false;
                    }

                    if (!violated)
                    {
                        count += result.Count;
                    }
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close && (violated || count < buffer.Length));

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    end = ReadEnd.CloseReceived;
                    break;
                }

                if (violated)
                {
                    continue;
                }

                if (messageType == WebSocketMessageType.Binary)
                {
                    violated = true;
                    session.Tell(CloseSession.BinaryFrame);
                    continue;
                }

                if (count > maxMessageBytes)
                {
                    violated = true;
                    session.Tell(CloseSession.TooBig);
                    continue;
                }

                // Every message counts against the rate, valid or not, and is checked before the
                // parse so that a flood costs as little as possible.
                switch (rateLimit?.Take())
                {
                    case RateDecision.Rejected:
                        session.Tell(RateLimited);
                        continue;
                    case RateDecision.Exceeded:
                        violated = true;
                        session.Tell(CloseSession.RateLimitExceeded);
                        continue;
                }

                var message = MessageParser.Parse(buffer.AsSpan(0, count), userId);
                if (message.Kind == InboundKind.Send)
                {
                    // At the limit of unanswered SENDs, the next socket read waits until an answer comes back.
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
            session.Tell(new ReadPumpStopped(end));
        }
    }

    private static object ToActorMessage(InboundMessage message) => message.Kind switch
    {
        InboundKind.Send => new InboundSend(message.Receiver, message.Payload!),
        InboundKind.Broadcast => new InboundBroadcast(message.Payload!),
        _ => new InboundRejected(message.Error!),
    };
}
