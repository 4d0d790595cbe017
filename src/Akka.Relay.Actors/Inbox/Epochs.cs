using System.Security.Cryptography;

namespace Akka.Relay.Actors.Inbox;

/// <summary>Makes inbox epochs: 16 random base32 characters (80 bits), so an epoch is never reused by chance.</summary>
public static class Epochs
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>A new epoch.</summary>
    public static string New()
    {
        return string.Create(16, 0, (chars, _) =>
        {
            Span<byte> bytes = stackalloc byte[16];
            RandomNumberGenerator.Fill(bytes);
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[bytes[i] & 31];
            }
        });
    }
}
