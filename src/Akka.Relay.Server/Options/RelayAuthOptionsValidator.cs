using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Options;

/// <summary>Checks <see cref="RelayAuthOptions"/> at start, so a weak or malformed key stops the server with a clear message.</summary>
public sealed class RelayAuthOptionsValidator : IValidateOptions<RelayAuthOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RelayAuthOptions options)
    {
        var failures = new List<string>();
        if (options.Enabled)
        {
            try
            {
                var length = options.KeyBytes().Length;
                if (length < RelayAuthOptions.MinKeyBytes)
                {
                    failures.Add($"Relay:Auth:SigningKey must be at least {RelayAuthOptions.MinKeyBytes} bytes (256 bits) for HMAC-SHA256 (was {length} bytes).");
                }
            }
            catch (FormatException)
            {
                failures.Add($"Relay:Auth:SigningKey starts with '{RelayAuthOptions.Base64Prefix}' but the rest is not valid base64.");
            }
        }
        else if (!string.IsNullOrEmpty(options.Issuer) || !string.IsNullOrEmpty(options.Audience))
        {
            // An issuer or audience without a key would silently leave the relay open.
            failures.Add("Relay:Auth:Issuer and Relay:Auth:Audience need Relay:Auth:SigningKey; without a key authentication is off.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Relay:Auth:ClockSkew must be between 00:00:00 and 00:10:00 (was {options.ClockSkew}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
