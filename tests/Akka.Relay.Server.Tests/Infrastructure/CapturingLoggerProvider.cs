using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>One captured log line: its category, level, rendered text and every structured value (its own and its scopes').</summary>
public sealed record CapturedLine(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> Values)
{
    /// <summary>The text of the structured value <paramref name="key"/>, or null.</summary>
    public string? ValueOf(string key) =>
        Values.Where(v => v.Key == key).Select(v => Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>True when <paramref name="text"/> appears in the message or any structured value.</summary>
    public bool Mentions(string text) =>
        Message.Contains(text, StringComparison.Ordinal)
        || Values.Any(v => Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture)?.Contains(text, StringComparison.Ordinal) == true);

    /// <inheritdoc />
    public override string ToString() => $"{Level} {Category}: {Message} [{string.Join(", ", Values.Select(v => $"{v.Key}={v.Value}"))}]";
}

/// <summary>A logger provider that keeps every line, with scopes, for tests to inspect.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLine> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>Everything captured so far.</summary>
    public IReadOnlyList<CapturedLine> Lines => _lines.ToArray();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(string category, CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<KeyValuePair<string, object?>>();
            if (state is IEnumerable<KeyValuePair<string, object?>> own)
            {
                values.AddRange(own);
            }

            provider._scopes.ForEachScope(
                (scope, list) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        list.AddRange(pairs);
                    }
                },
                values);
            provider._lines.Enqueue(new CapturedLine(category, logLevel, formatter(state, exception), values));
        }
    }
}
