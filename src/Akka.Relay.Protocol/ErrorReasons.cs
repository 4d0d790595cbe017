using System.Globalization;

namespace Akka.Relay.Protocol;

/// <summary>The reasons sent back as <c>"content":"error: &lt;reason&gt;"</c>.</summary>
public static class ErrorReasons
{
    /// <summary>Not parseable as JSON, trailing data, or nested too deeply.</summary>
    public const string InvalidJson = "invalid JSON";

    /// <summary>Valid JSON, but not an object.</summary>
    public const string NotAnObject = "message must be a JSON object";

    /// <summary>No <c>type</c> field.</summary>
    public const string MissingType = "missing type";

    /// <summary><c>type</c> is not a non-negative integer that fits 64 bits.</summary>
    public const string TypeNotUnsigned = "type must be an unsigned integer";

    /// <summary><c>sender</c> is present but not an unsigned 64-bit integer.</summary>
    public const string SenderNotUnsigned = "sender must be an unsigned integer";

    /// <summary><c>receiver</c> is present but not an unsigned 64-bit integer.</summary>
    public const string ReceiverNotUnsigned = "receiver must be an unsigned integer";

    /// <summary><c>content</c> is present but not a string.</summary>
    public const string ContentNotString = "content must be a string";

    /// <summary>A SEND without a <c>receiver</c>.</summary>
    public const string MissingReceiver = "missing receiver";

    /// <summary>A SEND to user 0.</summary>
    public const string ReceiverIsServer = "receiver 0 is the server";

    /// <summary>A client tried to speak as the system.</summary>
    public const string SystemTypeReserved = "type 2 (SYSTEM) is reserved for the server";

    /// <summary>The per-session rate limit was exceeded.</summary>
    public const string RateLimited = "rate limited";

    /// <summary>A SEND's <c>mid</c> is present but not a string.</summary>
    public const string MidNotString = "mid must be a string";

    /// <summary>A SEND's <c>mid</c> is empty or longer than <see cref="MessageParser.MaxMidLength"/> characters.</summary>
    public const string MidLength = "mid must be 1 to 64 characters";

    /// <summary>The receiver's inbox could not store the message (store down, timeout): nothing was delivered.</summary>
    public const string InboxUnavailable = "inbox unavailable";

    /// <summary>In a cluster, a SEND that no node could route to its receiver's directory within the ceiling (the cluster is failing over or down); neither delivered nor known to be undeliverable.</summary>
    public const string NoRoute = "the cluster could not route the message";

    /// <summary>A <c>type</c> outside 0..4.</summary>
    public static string UnknownType(ulong type) => "unknown type " + type.ToString(CultureInfo.InvariantCulture);

    internal static string DuplicateField(KnownField field) => "duplicate field " + field.ToString().ToLowerInvariant();
}
