using Akka.Relay.Protocol;

namespace Akka.Relay.Actors.Telemetry;

/// <summary>
/// Maps an error reply's reason to the <c>reason</c> tag of <c>relay.error_replies</c>: a fixed set of snake-case
/// names, so reasons that carry a value (<c>unknown type 42</c>) never make a new time series each.
/// </summary>
internal static class ErrorReasonTags
{
    public static string Of(string reason) => reason switch
    {
        ErrorReasons.InvalidJson => "invalid_json",
        ErrorReasons.NotAnObject => "not_an_object",
        ErrorReasons.MissingType => "missing_type",
        ErrorReasons.TypeNotUnsigned => "type_not_unsigned",
        ErrorReasons.SenderNotUnsigned => "sender_not_unsigned",
        ErrorReasons.ReceiverNotUnsigned => "receiver_not_unsigned",
        ErrorReasons.ContentNotString => "content_not_string",
        ErrorReasons.MissingReceiver => "missing_receiver",
        ErrorReasons.ReceiverIsServer => "receiver_is_server",
        ErrorReasons.SystemTypeReserved => "system_type_reserved",
        ErrorReasons.RateLimited => "rate_limited",
        _ when reason.StartsWith("unknown type", StringComparison.Ordinal) => "unknown_type",
        _ when reason.StartsWith("duplicate field", StringComparison.Ordinal) => "duplicate_field",
        _ => "other",
    };
}
