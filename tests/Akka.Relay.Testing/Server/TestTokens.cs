using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Akka.Relay.Testing.Server;

/// <summary>
/// Hand-made JWTs for the tests, good and deliberately bad (wrong algorithm, unsigned, no expiry),
/// built from their parts so that each test says exactly what it sends.
/// </summary>
public static class TestTokens
{
    /// <summary>The signing key the authentication tests configure (32 bytes, the minimum).</summary>
    public const string Key = "test-signing-key-0123456789abcdef";

    /// <summary>Now, in JWT seconds.</summary>
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A token for <paramref name="subject"/> valid for <paramref name="lifetime"/> (default an hour), signed HS256 with <paramref name="key"/>.</summary>
    public static string For(ulong subject, TimeSpan? lifetime = null, string key = Key, string? issuer = null, string? audience = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["iat"] = Now,
            ["exp"] = Now + (long)(lifetime ?? TimeSpan.FromHours(1)).TotalSeconds,
        };
        if (issuer is not null)
        {
            claims["iss"] = issuer;
        }

        if (audience is not null)
        {
            claims["aud"] = audience;
        }

        return Sign(claims, key);
    }

    /// <summary>Signs <paramref name="claims"/> with <paramref name="algorithm"/> (HS256, HS384, HS512, or "none" for an unsigned token).</summary>
    public static string Sign(IReadOnlyDictionary<string, object> claims, string key = Key, string algorithm = "HS256")
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = algorithm, typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var input = Encoding.ASCII.GetBytes(header + "." + payload);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var signature = algorithm switch
        {
            "HS256" => HMACSHA256.HashData(keyBytes, input),
            "HS384" => HMACSHA384.HashData(keyBytes, input),
            "HS512" => HMACSHA512.HashData(keyBytes, input),
            "none" => [],
            _ => throw new ArgumentException($"unknown algorithm {algorithm}", nameof(algorithm)),
        };
        return header + "." + payload + "." + Base64Url(signature);
    }

    /// <summary>Connects as <paramref name="userId"/> with <paramref name="token"/> in the access_token query parameter, as a browser would.</summary>
    public static Task<TestClient> ConnectWithQueryTokenAsync(this RelayServer server, ulong userId, string token, Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null) =>
        TestClient.ConnectAsync(new UriBuilder(server.WebSocketUri(userId.ToString(System.Globalization.CultureInfo.InvariantCulture))) { Query = "access_token=" + token }.Uri, autoRead: true, configure);

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
