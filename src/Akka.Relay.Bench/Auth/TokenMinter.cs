using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Akka.Relay.Bench.Auth;

/// <summary>
/// Mints the HMAC-SHA256 JWTs the relay accepts when <c>Relay:Auth:SigningKey</c> is set
/// (<c>sub</c> = user id, <c>iat</c>, <c>exp</c>, optional <c>iss</c>/<c>aud</c>). A client of the
/// wire protocol like the rest of this tool: it shares no code with the server.
/// </summary>
public sealed class TokenMinter
{
    private static readonly byte[] Header = Encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);
    private readonly byte[] _key;
    private readonly string? _issuer;
    private readonly string? _audience;
    private readonly TimeSpan _lifetime;

    /// <summary>Creates a minter for tokens valid for <paramref name="lifetime"/> from the moment they are minted.</summary>
    public TokenMinter(byte[] key, string? issuer, string? audience, TimeSpan lifetime)
    {
        _key = key;
        _issuer = issuer;
        _audience = audience;
        _lifetime = lifetime;
    }

    /// <summary>The key's bytes as the server reads <c>Relay:Auth:SigningKey</c>: text, or <c>base64:...</c>.</summary>
    public static byte[] ParseKey(string key)
    {
        const string prefix = "base64:";
        try
        {
            return key.StartsWith(prefix, StringComparison.Ordinal) ? Convert.FromBase64String(key[prefix.Length..]) : Encoding.UTF8.GetBytes(key);
        }
        catch (FormatException)
        {
            throw new UsageException("the key starts with 'base64:' but the rest is not valid base64");
        }
    }

    /// <summary>A signed token for user <paramref name="subject"/>.</summary>
    public string Mint(ulong subject)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var payload = new MemoryStream();
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteString("sub", subject.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("iat", now);
            json.WriteNumber("exp", now + (long)_lifetime.TotalSeconds);
            if (_issuer is not null)
            {
                json.WriteString("iss", _issuer);
            }

            if (_audience is not null)
            {
                json.WriteString("aud", _audience);
            }

            json.WriteEndObject();
        }

        var signingInput = Concat(Header, "."u8, Encode(payload.ToArray()));
        var signature = Encode(HMACSHA256.HashData(_key, signingInput));
        return Encoding.ASCII.GetString(Concat(signingInput, "."u8, signature));
    }

    private static byte[] Encode(ReadOnlySpan<byte> data)
    {
        var encoded = new byte[Base64Url.GetEncodedLength(data.Length)];
        Base64Url.EncodeToUtf8(data, encoded);
        return encoded;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        var all = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(all);
        b.CopyTo(all.AsSpan(a.Length));
        c.CopyTo(all.AsSpan(a.Length + b.Length));
        return all;
    }
}
