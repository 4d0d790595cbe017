namespace Akka.Relay.Server.Logging;

/// <summary>
/// Switches ASP.NET's per-request log category off when its lines are not asked for. While that category is enabled
/// at any level (even <c>Critical</c>), ASP.NET gives every request an <c>Activity</c> and a logging scope, and a
/// WebSocket session's request lives as long as the session: ~2 KiB per idle session (BENCHMARKS.md, cost of an idle
/// connection). Its own lines are <c>Information</c> and <c>Debug</c>, so at <c>Warning</c> or above nothing of it is
/// printed anyway, and switching it off changes no output.
/// </summary>
public static class HostingRequestLines
{
    /// <summary>The category of ASP.NET's request lines.</summary>
    public const string Category = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>Adds the filter unless the configured level for <see cref="Category"/> would print request lines.</summary>
    public static void Register(ILoggingBuilder logging, IConfiguration configuration)
    {
        if (ConfiguredLevel(configuration) >= LogLevel.Warning)
        {
            logging.AddFilter(Category, LogLevel.None);
        }
    }

    /// <summary>The level <c>Logging:LogLevel</c> gives the category: its own entry, else that of its closest parent, else <c>Default</c>.</summary>
    internal static LogLevel ConfiguredLevel(IConfiguration configuration)
    {
        var section = configuration.GetSection("Logging:LogLevel");
        for (var name = Category; ; name = name[..name.LastIndexOf('.')])
        {
            if (Enum.TryParse<LogLevel>(section[name], ignoreCase: true, out var level))
            {
                return level;
            }

            if (!name.Contains('.', StringComparison.Ordinal))
            {
                break;
            }
        }

        return Enum.TryParse<LogLevel>(section["Default"], ignoreCase: true, out var fallback) ? fallback : LogLevel.Information;
    }
}
