using System.Diagnostics.Metrics;
using Akka.Relay.Actors.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Akka.Relay.Server.Telemetry;

/// <summary>Registers the relay's meter, the .NET runtime and ASP.NET Core meters, and the Prometheus scrape endpoint.</summary>
public static class RelayMetricsSetup
{
    /// <summary>The service name in <c>target_info</c>.</summary>
    public const string ServiceName = "akka-relay";

    /// <summary>Where Prometheus scrapes.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>The meters exported besides the relay's own: built into .NET and ASP.NET Core (no instrumentation packages needed).</summary>
    public static readonly string[] PlatformMeters =
    [
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
    ];

    /// <summary>Adds <see cref="RelayMetrics"/> (one per host) and an OpenTelemetry meter provider with a Prometheus exporter.</summary>
    public static IServiceCollection AddRelayMetrics(this IServiceCollection services)
    {
        services.AddSingleton(provider => new RelayMetrics(provider.GetRequiredService<IMeterFactory>()));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
            .AddMeter(RelayMetrics.MeterName)
            .AddMeter(PlatformMeters)
            .AddPrometheusExporter(options =>
            {
                // Every scrape sees the current values (Prometheus scrapes every few seconds at most).
                options.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) => metrics.AddView(OwnMetersOnly(provider.GetRequiredService<IMeterFactory>())));
        return services;
    }

    /// <summary>Maps <c>GET /metrics</c> (Prometheus text format).</summary>
    public static IEndpointRouteBuilder MapRelayMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(ScrapePath);
        return endpoints;
    }

    // OpenTelemetry sets aside a slot per allowed label combination of every metric when it is first recorded
    // (72 bytes each): the default 2,000 took ~7 MB of a node's heap for metrics whose labels come from small fixed
    // sets. Combinations past the limit are counted under otel_metric_overflow="true".
    private const int LabelCombinationsPerMetric = 200;

    /// <summary>
    /// Meters made by a host's <see cref="IMeterFactory"/> carry it as their scope. A meter provider listens to
    /// every meter of a subscribed name in the process, so where several hosts share a process (tests, or a
    /// host embedding relays) each would export the others' relay and ASP.NET numbers as its own. This view
    /// drops instruments of other hosts' factories; process-wide meters (System.Runtime) have no scope and stay. The
    /// ones kept get <see cref="LabelCombinationsPerMetric"/>.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OwnMetersOnly(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own)
            ? MetricStreamConfiguration.Drop
            : new MetricStreamConfiguration { CardinalityLimit = LabelCombinationsPerMetric };
}
