using System.Text.RegularExpressions;

namespace Akka.Relay.Server.Logging;

/// <summary>Replaces the value of every <c>access_token</c> URL parameter in a text with <see cref="Mask"/>.</summary>
public static partial class TokenRedaction
{
    /// <summary>What a redacted value reads as.</summary>
    public const string Mask = "***";

    private const string Marker = "access_token=";

    /// <summary>True when <paramref name="text"/> holds an <c>access_token</c> parameter (a cheap check before <see cref="Redact"/>).</summary>
    public static bool Applies(string? text) => text is not null && text.Contains(Marker, StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="text"/> with each <c>access_token</c> value masked.</summary>
    public static string Redact(string text) => Applies(text) ? TokenValue().Replace(text, "$1" + Mask) : text;

    // The value runs to the next parameter, fragment, whitespace or quote.
    [GeneratedRegex(@"(access_token=)[^&#\s""']*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenValue();
}
