using System.Text;

namespace Akka.Relay.Server.Options;

/// <summary>
/// JWT authentication of handshakes, bound from <c>Relay:Auth</c> (env: <c>Relay__Auth__SigningKey=...</c>).
/// Off while <see cref="SigningKey"/> is empty.
/// </summary>
public sealed class RelayAuthOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Relay:Auth";

    /// <summary>The prefix that marks <see cref="SigningKey"/> as base64 (binary keys) rather than text.</summary>
    public const string Base64Prefix = "base64:";

    /// <summary>HMAC-SHA256 needs a key of at least 256 bits (RFC 7518 §3.2).</summary>
    public const int MinKeyBytes = 32;

    /// <summary>The HMAC-SHA256 key tokens are signed with: text (its UTF-8 bytes) or <c>base64:...</c>; empty turns authentication off.</summary>
    public string? SigningKey { get; set; }

    /// <summary>When set, a token's <c>iss</c> must equal it.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, a token's <c>aud</c> must contain it.</summary>
    public string? Audience { get; set; }

    /// <summary>Tolerance for clocks that disagree: a token is accepted, and its session kept, until <c>exp</c> plus this.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when a signing key is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(SigningKey);

    /// <summary>The key's bytes; throws <see cref="FormatException"/> for bad base64.</summary>
    public byte[] KeyBytes() =>
        SigningKey is { } key && key.StartsWith(Base64Prefix, StringComparison.Ordinal)
            ? Convert.FromBase64String(key[Base64Prefix.Length..])
            : Encoding.UTF8.GetBytes(SigningKey ?? string.Empty);
}
