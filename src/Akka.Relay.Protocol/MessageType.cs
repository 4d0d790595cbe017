namespace Akka.Relay.Protocol;

/// <summary>The <c>type</c> field of a wire message (docs/protocol.md §3).</summary>
public enum MessageType : ulong
{
    /// <summary>An announcement; relayed like a broadcast.</summary>
    Connect = 0,

    /// <summary>A 1:1 message to <c>receiver</c>, answered with an ack.</summary>
    Send = 1,

    /// <summary>Spoken only by the server (<c>"sender":0</c>).</summary>
    System = 2,

    /// <summary>Delivered to every open session.</summary>
    Broadcast = 3,

    /// <summary>An announcement; relayed like a broadcast.</summary>
    Close = 4,
}
