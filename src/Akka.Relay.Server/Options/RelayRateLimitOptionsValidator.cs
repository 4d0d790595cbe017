using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Options;

/// <summary>Checks <see cref="RelayRateLimitOptions"/> at start.</summary>
public sealed class RelayRateLimitOptionsValidator : IValidateOptions<RelayRateLimitOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RelayRateLimitOptions options)
    {
        var failures = new List<string>();
        if (options.MessagesPerSecond < 0)
        {
            failures.Add($"Relay:RateLimit:MessagesPerSecond must be 0 (off) or more (was {options.MessagesPerSecond}).");
        }

        if (options.Burst < 1)
        {
            failures.Add($"Relay:RateLimit:Burst must be at least 1 (was {options.Burst}).");
        }

        if (options.MaxRejections is < 1 or > 100_000)
        {
            failures.Add($"Relay:RateLimit:MaxRejections must be between 1 and 100000 (was {options.MaxRejections}).");
        }

        if (options.RejectionWindow <= TimeSpan.Zero)
        {
            failures.Add($"Relay:RateLimit:RejectionWindow must be a positive time span such as 00:00:10 (was {options.RejectionWindow}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
