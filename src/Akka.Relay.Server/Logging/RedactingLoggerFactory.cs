using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Logging;

/// <summary>
/// Wraps the host's logger factory so that no log line carries a token: ASP.NET Core's request lines
/// ("Request starting ... ?access_token=...") are written before any middleware runs, so the only place to
/// redact them is between every logger and its providers.
/// </summary>
public sealed class RedactingLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;

    /// <summary>Wraps <paramref name="inner"/> (and disposes it with itself).</summary>
    public RedactingLoggerFactory(ILoggerFactory inner)
    {
        _inner = inner;
    }

    /// <summary>Replaces the host's <see cref="ILoggerFactory"/> with one wrapped in redaction.</summary>
    public static void Register(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(provider => new RedactingLoggerFactory(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>()))));

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(_inner.CreateLogger(categoryName));

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    /// <inheritdoc />
    public void Dispose() => _inner.Dispose();
}
