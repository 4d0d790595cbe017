using System.Globalization;

namespace Akka.Relay.Bench.Auth;

/// <summary><c>token</c>: prints a JWT for one user, signed with the relay's key (for trying out authentication).</summary>
public static class TokenCommand
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: Akka.Relay.Bench token --key KEY --sub USER_ID [--iss ISSUER] [--aud AUDIENCE] [--ttl SECONDS]
          prints an HMAC-SHA256 JWT (sub = USER_ID, exp = now + SECONDS, default 3600) that the relay
          accepts when Relay:Auth:SigningKey is KEY (text, or base64:... as in the server's setting)
          e.g.  token=$(dotnet run --project src/Akka.Relay.Bench -- token --key "$KEY" --sub 42)
                websocat "ws://127.0.0.1:8080/ws/42?access_token=$token"
        """;

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        string? key = null;
        string? issuer = null;
        string? audience = null;
        ulong? subject = null;
        var ttl = 3600L;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--key":
                    key = value;
                    break;
                case "--sub":
                    subject = ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != 0
                        ? id
                        : throw new UsageException($"--sub: '{value}' is not a user id (1 .. 18446744073709551615)");
                    break;
                case "--iss":
                    issuer = value;
                    break;
                case "--aud":
                    audience = value;
                    break;
                case "--ttl":
                    ttl = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
                        ? seconds
                        : throw new UsageException($"--ttl: '{value}' is not a number of seconds");
                    break;
                default:
                    throw new UsageException($"unknown option '{name}'");
            }
        }

        if (string.IsNullOrEmpty(key) || subject is null)
        {
            throw new UsageException("token needs --key and --sub");
        }

        // A negative --ttl mints an already expired token, which is useful for trying the 401.
        output.WriteLine(new TokenMinter(TokenMinter.ParseKey(key), issuer, audience, TimeSpan.FromSeconds(ttl)).Mint(subject.Value));
        return 0;
    }
}
