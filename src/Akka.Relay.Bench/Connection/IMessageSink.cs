namespace Akka.Relay.Bench.Connection;

/// <summary>Receives each complete text message of a session, on the session's receive loop.</summary>
public interface IMessageSink
{
    /// <summary>Handles one reassembled message; the span is only valid during the call.</summary>
    void OnMessage(ReadOnlySpan<byte> message);
}
