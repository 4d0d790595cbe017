namespace Akka.Relay.Server.Api;

/// <summary>The server API's settings, bound from <c>Relay:Api</c> (env: <c>Relay__Api__Key=...</c>).</summary>
public sealed class RelayApiOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Relay:Api";

    /// <summary>The key a backend presents (<c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>); unset, the API is off and answers 404.</summary>
    public string? Key { get; set; }

    /// <summary>How long an API call waits for the relay's answer (a send's ack, a directory lookup) before 503.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when a key is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(Key);
}
