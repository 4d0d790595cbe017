using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Api;

/// <summary>
/// Guards the server API: 404 while no key is configured (the API does not exist), 401 unless the request
/// presents the key as <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>.
/// </summary>
public sealed class ApiKeyFilter : IEndpointFilter
{
    /// <summary>The header a backend may use instead of <c>Authorization</c>.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private readonly byte[]? _keyHash;

    /// <summary>Creates the filter for the configured key.</summary>
    public ApiKeyFilter(IOptions<RelayApiOptions> options)
    {
        var key = options.Value.Key;
        _keyHash = string.IsNullOrEmpty(key) ? null : Hash(key);
    }

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_keyHash is null)
        {
            return Results.NotFound();
        }

        var presented = PresentedKey(context.HttpContext.Request.Headers);
        // Both sides are hashed first, so the comparison takes the same time whatever the key's length or content.
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Hash(presented), _keyHash))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiResults.Error(StatusCodes.Status401Unauthorized, presented is null ? "an API key is required (Authorization: Bearer KEY or X-Api-Key: KEY)" : "wrong API key");
        }

        return await next(context);
    }

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            return authorization[bearer.Length..].Trim();
        }

        var apiKey = headers[ApiKeyHeader].ToString();
        return apiKey.Length > 0 ? apiKey : null;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
