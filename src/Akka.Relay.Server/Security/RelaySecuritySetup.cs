using Akka.Relay.Server.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Akka.Relay.Server.Security;

/// <summary>Wires the abuse defences: JWT authentication, the per-node session limit, the rate-limit options and Kestrel's handshake timeouts.</summary>
public static class RelaySecuritySetup
{
    /// <summary>The query parameter a browser uses for its token (it cannot set headers on a WebSocket).</summary>
    public const string AccessTokenParameter = "access_token";

    // ASP.NET Core's switch that stops a lone authentication scheme from becoming the default one.
    private const string SuppressAutoDefaultSchemeSwitch = "Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme";

    /// <summary>Adds the security services and options to <paramref name="builder"/>.</summary>
    public static WebApplicationBuilder AddRelaySecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<RelayAuthOptions>()
            .Bind(configuration.GetSection(RelayAuthOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RelayAuthOptions>, RelayAuthOptionsValidator>();
        services.AddOptions<RelayRateLimitOptions>()
            .Bind(configuration.GetSection(RelayRateLimitOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RelayRateLimitOptions>, RelayRateLimitOptionsValidator>();
        services.AddSingleton<HandshakeAuthenticator>();
        services.AddSingleton<NodeSessionLimit>();

        // ASP.NET Core adds its authentication middleware to every app that registers authentication, and
        // that middleware opens a DI scope per request, which for a WebSocket lives as long as the session:
        // with authentication off (no signing key, read once at start), nothing of it is registered.
        if (!string.IsNullOrEmpty(configuration.GetSection(RelayAuthOptions.Section)[nameof(RelayAuthOptions.SigningKey)]))
        {
            // No default scheme, not even the one ASP.NET Core picks when a single scheme is registered: the
            // middleware then leaves every request alone (with a default, it ran the JWT handler on each
            // request and the handler lived as long as the session). HandshakeAuthenticator names the scheme.
            AppContext.SetSwitch(SuppressAutoDefaultSchemeSwitch, true);
            services.AddAuthentication().AddJwtBearer();
            services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .Configure<IOptions<RelayAuthOptions>>((jwt, auth) => ConfigureJwt(jwt, auth.Value));
        }

        // A connection that has not sent its complete request headers within the handshake
        // timeout is dropped (RequestHeadersTimeout), and so is one that sends nothing at all
        // (KeepAliveTimeout also bounds the wait for a connection's first request); once
        // upgraded, a session is no longer subject to either.
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<RelayOptions>>((kestrel, relay) =>
            {
                kestrel.Limits.RequestHeadersTimeout = relay.Value.HandshakeTimeout;
                kestrel.Limits.KeepAliveTimeout = relay.Value.HandshakeTimeout;
            });
        return builder;
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, RelayAuthOptions auth)
    {
        // Claim names as they are in the token ("sub" stays "sub").
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(auth.KeyBytes()),
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            // Only the configured algorithm: no "none", no confusion with other key types.
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = !string.IsNullOrEmpty(auth.Issuer),
            ValidIssuer = auth.Issuer,
            ValidateAudience = !string.IsNullOrEmpty(auth.Audience),
            ValidAudience = auth.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = auth.ClockSkew,
            NameClaimType = HandshakeAuthenticator.SubjectClaim,
        };
        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                // Browsers cannot set headers on a WebSocket handshake: take the token from the
                // query, unless an Authorization header is there (it wins).
                if (string.IsNullOrEmpty(context.Request.Headers.Authorization)
                    && context.Request.Query.TryGetValue(AccessTokenParameter, out var token)
                    && !string.IsNullOrEmpty(token))
                {
                    context.Token = token;
                }

                return Task.CompletedTask;
            },
        };
    }
}
