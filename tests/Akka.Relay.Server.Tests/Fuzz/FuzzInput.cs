namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>One frame a fuzz client writes: all fields as they go on the wire, lies included.</summary>
public sealed record FrameSpec(int Opcode, byte[] Payload, bool Fin = true, int Rsv = 0, bool Masked = true, ulong? DeclaredLength = null);

/// <summary>What the spec says must follow one fuzz input.</summary>
public abstract record Expectation
{
    /// <summary>The client's own message comes back stamped with its id (a SEND to itself or a broadcast), then the ack when <paramref name="Acked"/>.</summary>
    public sealed record Echo(string Sent, bool Acked) : Expectation
    {
        /// <summary>A Ping was sent between the message's fragments: its Pong comes first.</summary>
        public byte[]? PongFirst { get; init; }
    }

    /// <summary>This exact system message (an ack for a receiver that is not online, an error with a named reason).</summary>
    public sealed record Reply(string Exact) : Expectation;

    /// <summary>An error reply with any reason (random input whose first fault is not predictable).</summary>
    public sealed record AnyError : Expectation;

    /// <summary>A close frame with one of these codes, then the end of the connection.</summary>
    public sealed record Close(params int[] Codes) : Expectation;

    /// <summary>A Pong frame carrying this payload.</summary>
    public sealed record Pong(byte[] Payload) : Expectation;

    /// <summary>Nothing to wait for (an unsolicited Pong): the session must simply stay usable.</summary>
    public sealed record Nothing : Expectation;

    /// <summary>The client drops the connection itself; nothing to wait for.</summary>
    public sealed record Gone : Expectation;
}

/// <summary>One fuzz input: a kind (for the counts), the frames, whether the client then drops the connection, and the expected outcome.</summary>
public sealed record FuzzInput(string Kind, IReadOnlyList<FrameSpec> Frames, Expectation Expected, bool AbortAfter = false, byte[]? RawTail = null)
{
    /// <summary>A readable form for failure messages (payloads cut short).</summary>
    public string Describe() => $"{Kind}: " + string.Join(" | ", Frames.Select(f =>
        $"op={f.Opcode} fin={f.Fin} rsv={f.Rsv} masked={f.Masked}{(f.DeclaredLength is { } d ? $" declared={d}" : "")} len={f.Payload.Length} " +
        Convert.ToHexString(f.Payload.AsSpan(0, Math.Min(f.Payload.Length, 48))))) + (AbortAfter ? " then abort" : "");
}
