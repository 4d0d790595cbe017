using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Options;

/// <summary>Checks <see cref="RelayOptions"/> at start, so a bad value stops the server with a clear message.</summary>
public sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        var failures = new List<string>();
        if (options.MaxMessageBytes is < 16 or > 16 * 1024 * 1024)
        {
            failures.Add($"Relay:MaxMessageBytes must be between 16 and 16777216 (was {options.MaxMessageBytes}).");
        }

        if (options.OutboundQueueCapacity < 1)
        {
            failures.Add($"Relay:OutboundQueueCapacity must be at least 1 (was {options.OutboundQueueCapacity}).");
        }

        if (options.OutboundQueueMaxBytes != 0 && options.OutboundQueueMaxBytes < options.MaxMessageBytes)
        {
            failures.Add($"Relay:OutboundQueueMaxBytes must be 0 (twice a full queue of the largest messages) or at least Relay:MaxMessageBytes (was {options.OutboundQueueMaxBytes}, max message {options.MaxMessageBytes}).");
        }

        if (options.MaxUnansweredSends < 1)
        {
            failures.Add($"Relay:MaxUnansweredSends must be at least 1 (was {options.MaxUnansweredSends}).");
        }

        if (options.MaxSessionsPerUser < 1)
        {
            failures.Add($"Relay:MaxSessionsPerUser must be at least 1 (was {options.MaxSessionsPerUser}).");
        }

        RequirePositive(failures, nameof(options.PingInterval), options.PingInterval);
        RequirePositive(failures, nameof(options.PongTimeout), options.PongTimeout);
        RequirePositive(failures, nameof(options.CloseTimeout), options.CloseTimeout);
        RequirePositive(failures, nameof(options.SlowConsumerTimeout), options.SlowConsumerTimeout);
        RequirePositive(failures, nameof(options.DrainTimeout), options.DrainTimeout);
        if (options.DrainSpread < TimeSpan.Zero || options.DrainSpread >= options.DrainTimeout)
        {
            failures.Add($"Relay:DrainSpread must be zero or more and shorter than Relay:DrainTimeout (was {options.DrainSpread}, drain timeout {options.DrainTimeout}).");
        }
        RequirePositive(failures, nameof(options.AdmissionTimeout), options.AdmissionTimeout);
        RequirePositive(failures, nameof(options.HandshakeTimeout), options.HandshakeTimeout);
        if (options.MaxSessions < 0)
        {
            failures.Add($"Relay:MaxSessions must be 0 (no limit) or more (was {options.MaxSessions}).");
        }

        foreach (var origin in options.AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                failures.Add($"Relay:AllowedOrigins entries must be origins such as https://chat.example.com (was '{origin}').");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequirePositive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Relay:{name} must be a positive time span such as 00:00:09 (was {value}).");
        }
    }
}
