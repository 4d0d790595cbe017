namespace Akka.Relay.Server.Logging;

/// <summary>
/// A logger that passes every line through unchanged unless its text or one of its structured values holds an
/// <c>access_token</c> parameter; such a line is passed on with the values and the text redacted.
/// </summary>
internal sealed class RedactingLogger : ILogger
{
    private readonly ILogger _inner;

    public RedactingLogger(ILogger inner)
    {
        _inner = inner;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        if (!TokenRedaction.Applies(message) && !ValuesNeedRedaction(state))
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        _inner.Log(logLevel, eventId, RedactedState.Of(state, TokenRedaction.Redact(message)), exception, static (redacted, _) => redacted.Message);
    }

    private static bool ValuesNeedRedaction<TState>(TState state)
    {
        if (state is not IEnumerable<KeyValuePair<string, object?>> values)
        {
            return false;
        }

        foreach (var (_, value) in values)
        {
            if (value is not null and not ValueType && TokenRedaction.Applies(value.ToString()))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A line's structured values with every text that holds a token redacted, and its redacted text.</summary>
    private sealed class RedactedState : List<KeyValuePair<string, object?>>
    {
        private RedactedState(string message)
        {
            Message = message;
        }

        public string Message { get; }

        public static RedactedState Of<TState>(TState state, string message)
        {
            var redacted = new RedactedState(message);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    redacted.Add(new(key, value is not null and not ValueType && TokenRedaction.Applies(value.ToString()) ? TokenRedaction.Redact(value.ToString()!) : value));
                }
            }

            return redacted;
        }

        public override string ToString() => Message;
    }
}
