using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Akka.Relay.Server.Health;

/// <summary>Registers and maps <c>/healthz</c> (process alive) and <c>/readyz</c> (able to serve sessions).</summary>
public static class HealthEndpoints
{
    /// <summary>The tag of the checks <c>/readyz</c> runs.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Registers the readiness checks.</summary>
    public static IServiceCollection AddRelayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<ActorSystemHealthCheck>("actor-system", tags: [ReadyTag])
            .AddCheck<ClusterMemberHealthCheck>("cluster", tags: [ReadyTag])
            .AddCheck<DrainHealthCheck>("drain", tags: [ReadyTag])
            .AddCheck<InboxListingHealthCheck>("inbox", tags: [ReadyTag]);
        return services;
    }

    /// <summary>Maps both endpoints; each answers JSON, 200 when healthy and 503 otherwise.</summary>
    public static IEndpointRouteBuilder MapRelayHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        // Liveness runs no checks: if the process can answer HTTP it is alive, and restarting it
        // because the cluster is unreachable would only make things worse.
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = WriteJsonAsync,
        });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteJsonAsync,
        });
        return endpoints;
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthBody(
            report.Status.ToString(),
            report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new CheckBody(entry.Value.Status.ToString(), entry.Value.Description, entry.Value.Data.Count == 0 ? null : entry.Value.Data)));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonOptions, context.RequestAborted);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The JSON body of a health answer.</summary>
    private sealed record HealthBody(string Status, IReadOnlyDictionary<string, CheckBody> Checks);

    /// <summary>One check in a health answer.</summary>
    private sealed record CheckBody(string Status, string? Description, IReadOnlyDictionary<string, object>? Data);
}
