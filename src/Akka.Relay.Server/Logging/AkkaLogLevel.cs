using Microsoft.Extensions.Logging;

namespace Akka.Relay.Server.Logging;

/// <summary>
/// Derives Akka's log level (<c>akka.loglevel</c>) from the <c>Logging:LogLevel</c> configuration, so that one
/// setting decides what Akka logs. Akka's events reach <c>ILogger</c> under categories that start with
/// <c>Akka</c> (actors' lines, the relay's included, arrive as <c>Akka.Actor.ActorSystem</c>); Akka itself drops
/// events below its level before they get there, so it is set to the most verbose level any of those
/// categories asks for.
/// </summary>
public static class AkkaLogLevel
{
    /// <summary>Akka's log level for <paramref name="configuration"/> (<c>None</c> reads as Error: Akka cannot be silenced further).</summary>
    public static Akka.Event.LogLevel FromLogging(IConfiguration configuration)
    {
        var levels = configuration.GetSection("Logging:LogLevel");
        LogLevel? akka = null;
        foreach (var entry in levels.GetChildren())
        {
            var isAkkaCategory = entry.Key.Equals("Akka", StringComparison.OrdinalIgnoreCase)
                || entry.Key.StartsWith("Akka.", StringComparison.OrdinalIgnoreCase);
            if (isAkkaCategory && Enum.TryParse<LogLevel>(entry.Value, ignoreCase: true, out var level))
            {
                akka = akka is { } current && current < level ? current : level;
            }
        }

        // Without an "Akka" entry, categories under Akka that have no entry of their own follow Default.
        if (levels["Akka"] is null && Enum.TryParse<LogLevel>(levels["Default"], ignoreCase: true, out var fallback))
        {
            akka = akka is { } current && current < fallback ? current : fallback;
        }

        return (akka ?? LogLevel.Information) switch
        {
            LogLevel.Trace or LogLevel.Debug => Akka.Event.LogLevel.DebugLevel,
            LogLevel.Information => Akka.Event.LogLevel.InfoLevel,
            LogLevel.Warning => Akka.Event.LogLevel.WarningLevel,
            _ => Akka.Event.LogLevel.ErrorLevel,
        };
    }
}
