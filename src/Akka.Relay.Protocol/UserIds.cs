using System.Globalization;

namespace Akka.Relay.Protocol;

/// <summary>Parses the <c>{id}</c> of <c>/ws/{id}</c>: decimal digits, 1 .. 2^64-1.</summary>
public static class UserIds
{
    /// <summary>The server's own id; it is never a user.</summary>
    public const ulong Server = 0;

    /// <summary>Parses a user id from a URL segment, or says why it is not one.</summary>
    public static bool TryParse(string? text, out ulong userId, out string error)
    {
        userId = 0;
        if (string.IsNullOrEmpty(text))
        {
            error = "user id is missing";
            return false;
        }

        foreach (var c in text)
        {
            // Digits only: no sign, no spaces, no hex, no exponent.
            if (c is < '0' or > '9')
            {
                error = "user id must be decimal digits only";
                return false;
            }
        }

        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out userId))
        {
            error = "user id must not exceed 18446744073709551615";
            return false;
        }

        if (userId == Server)
        {
            error = "user id 0 is reserved for the server";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
