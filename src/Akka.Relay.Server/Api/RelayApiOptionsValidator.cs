using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Api;

/// <summary>Checks <see cref="RelayApiOptions"/> at start, so a weak key or bad timeout stops the server with a clear message.</summary>
public sealed class RelayApiOptionsValidator : IValidateOptions<RelayApiOptions>
{
    /// <summary>The shortest key accepted: anything shorter is guessable.</summary>
    public const int MinKeyLength = 16;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RelayApiOptions options)
    {
        var failures = new List<string>();
        if (options.Key is { Length: > 0 } key && (key.Length < MinKeyLength || key.Any(char.IsWhiteSpace)))
        {
            failures.Add($"Relay:Api:Key must be at least {MinKeyLength} characters without spaces (e.g. the output of `openssl rand -hex 32`), or unset to turn the API off.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"Relay:Api:Timeout must be a positive time span such as 00:00:05 (was {options.Timeout}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
