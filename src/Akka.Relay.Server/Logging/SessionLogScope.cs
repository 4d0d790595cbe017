using System.Collections;
using System.Globalization;

namespace Akka.Relay.Server.Logging;

/// <summary>
/// The logging scope of one session's request: <c>SessionId</c> and <c>UserId</c> as structured values on every
/// line the endpoint (and ASP.NET under it) writes about the session. The session actor's own lines carry the
/// same two values in their message template.
/// </summary>
public sealed class SessionLogScope : IReadOnlyList<KeyValuePair<string, object>>
{
    /// <summary>The name of the session id value.</summary>
    public const string SessionIdKey = "SessionId";

    /// <summary>The name of the user id value.</summary>
    public const string UserIdKey = "UserId";

    private readonly string _sessionId;
    private readonly ulong _userId;

    /// <summary>Creates the scope of session <paramref name="sessionId"/> of user <paramref name="userId"/>.</summary>
    public SessionLogScope(string sessionId, ulong userId)
    {
        _sessionId = sessionId;
        _userId = userId;
    }

    /// <inheritdoc />
    public int Count => 2;

    /// <inheritdoc />
    public KeyValuePair<string, object> this[int index] => index switch
    {
        0 => new(SessionIdKey, _sessionId),
        1 => new(UserIdKey, _userId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>How console and file loggers print the scope.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Session {_sessionId} of user {_userId}");
}
