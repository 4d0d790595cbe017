using System.Globalization;
using System.Security.Claims;
using Akka.Relay.Protocol;
using Akka.Relay.Server.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Akka.Relay.Server.Security;

/// <summary>The outcome of authenticating a handshake.</summary>
/// <param name="Error">Why it was refused (sent as the 401 body), or null when it passed.</param>
/// <param name="SessionExpiresAt">When the session must be closed because its token is no longer valid; null when there is no token (authentication off).</param>
public sealed record HandshakeAuthentication(string? Error, DateTimeOffset? SessionExpiresAt)
{
    /// <summary>True when the handshake may go on.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Checks a handshake's JWT with ASP.NET's JWT bearer handler (configured by
/// <see cref="RelaySecuritySetup"/>) and that its subject is the user id of the path.
/// </summary>
public sealed class HandshakeAuthenticator
{
    /// <summary>The claim that names the user.</summary>
    public const string SubjectClaim = "sub";

    private const string ExpiryClaim = "exp";

    // 9999-12-31T23:59:59Z, the last whole second a DateTime can hold.
    private static readonly long LastRepresentableSecond = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private static readonly HandshakeAuthentication Open = new(null, null);
    private readonly IOptions<RelayAuthOptions> _options;

    /// <summary>Creates the authenticator.</summary>
    public HandshakeAuthenticator(IOptions<RelayAuthOptions> options)
    {
        _options = options;
    }

    /// <summary>Authenticates the request as user <paramref name="userId"/>; always succeeds when authentication is off.</summary>
    public async Task<HandshakeAuthentication> AuthenticateAsync(HttpContext context, ulong userId)
    {
        var options = _options.Value;
        if (!options.Enabled)
        {
            return Open;
        }

        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.None)
        {
            return new HandshakeAuthentication("a token is required: send it as 'Authorization: Bearer <token>' or the access_token query parameter", null);
        }

        if (!result.Succeeded)
        {
            return new HandshakeAuthentication(result.Failure is SecurityTokenExpiredException ? "token expired" : "invalid token", null);
        }

        if (!ExpiresWithinDateRange(result.Principal))
        {
            return new HandshakeAuthentication("invalid token", null);
        }

        // Compared as user ids, so a token for "7" opens /ws/007 as well (the path means user 7).
        var subject = result.Principal.FindFirst(SubjectClaim)?.Value;
        if (!UserIds.TryParse(subject, out var tokenUser, out _) || tokenUser != userId)
        {
            return new HandshakeAuthentication("token subject does not match the user id", null);
        }

        // The handler rejects tokens without exp, so ExpiresUtc is always there; the session is
        // kept exactly as long as the token would still open a new one.
        var expires = result.Properties.ExpiresUtc ?? DateTimeOffset.UtcNow;
        // Clamped: exp + skew may lie past the last DateTimeOffset (it threw, and the handshake answered 500).
        var sessionEnd = DateTimeOffset.MaxValue - expires > options.ClockSkew ? expires + options.ClockSkew : DateTimeOffset.MaxValue;
        return new HandshakeAuthentication(null, sessionEnd);
    }

    // The handler reads an exp past DateTime's range (after 9999-12-31T23:59:59Z) as "never expires":
    // such a token is refused, like any other whose lifetime cannot be checked.
    private static bool ExpiresWithinDateRange(ClaimsPrincipal principal) =>
        double.TryParse(principal.FindFirst(ExpiryClaim)?.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var exp)
        && exp <= LastRepresentableSecond;
}
