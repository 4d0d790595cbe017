using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Server.Api;
using Akka.Relay.Server.Health;
using Akka.Relay.Server.Lifecycle;
using Akka.Relay.Server.Logging;
using Akka.Relay.Server.Options;
using Akka.Relay.Server.Security;
using Akka.Relay.Server.Telemetry;
using Akka.Relay.Server.WebSockets;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Hosting;

/// <summary>Builds the relay's web application: configuration, Akka, endpoints.</summary>
public static class RelayApp
{
    /// <summary>Where the server listens when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c>/<c>ASPNETCORE_HTTP_PORTS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The actor system's name: part of every cluster address (akka.tcp://relay@host:port).</summary>
    public const string ActorSystemName = RelayClusterOptions.ActorSystemName;

    /// <summary>Builds the application from command-line arguments (which override every other source).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json and hocon/ ship beside the binary: find them wherever it runs from.
            ContentRootPath = AppContext.BaseDirectory,
        });

        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["http_ports"]) && string.IsNullOrEmpty(configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // No log line may carry a token, whatever the log levels (ASP.NET's request lines log the query string).
        RedactingLoggerFactory.Register(builder.Services);
        HostingRequestLines.Register(builder.Logging, configuration);
        builder.Services.AddOptions<RelayOptions>()
            .Bind(configuration.GetSection(RelayOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>();
        builder.Services.AddOptions<RelayClusterOptions>()
            .Bind(configuration.GetSection(RelayClusterOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RelayClusterOptions>, RelayClusterOptionsValidator>();
        builder.AddRelaySecurity();
        builder.AddRelayInbox();
        builder.Services.AddSingleton<DrainState>();
        builder.Services.AddSingleton<HeartbeatScheduler>();
        builder.Services.AddSingleton<WebSocketUpgrade>();
        builder.Services.AddSingleton<RelayWebSocketEndpoint>();
        UpgradeBelowHttp.Register(builder);
        builder.Services.AddHostedService<SessionDrainService>();
        builder.Services.AddHostedService<SocketEventThreadPolicy>();
        builder.Services.AddRelayHealthChecks();
        builder.Services.AddRelayMetrics();
        ServerApi.Register(builder.Services, configuration);

        builder.Services.AddAkka(ActorSystemName, (akka, services) =>
        {
            var relay = services.GetRequiredService<IOptions<RelayOptions>>().Value;
            var cluster = services.GetRequiredService<IOptions<RelayClusterOptions>>().Value;
            akka.AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "relay.hocon"), HoconAddMode.Append)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                    // Akka logs what the Logging:LogLevel configuration lets through for its categories.
                    loggers.LogLevel = AkkaLogLevel.FromLogging(configuration);
                });

            // Session actors run on their own (idle-light) mailbox.
            akka.AddHocon(SessionMailbox.Definition, HoconAddMode.Append);
            akka.WithRelayInbox(services);

            var hubSettings = new HubSettings(relay.MaxSessionsPerUser) { DrainSpread = relay.DrainSpread };
            var metrics = services.GetRequiredService<RelayMetrics>();
            var inboxOptions = services.GetRequiredService<IOptions<RelayInboxOptions>>().Value;
            if (cluster.Enabled)
            {
                akka.WithRelayCluster(cluster, relay, hubSettings, inboxOptions, metrics);
            }
            else
            {
                // Alone, the hub is its own per-user directory.
                var inbox = RelayInboxSetup.SingleNodeRouting(inboxOptions);
                akka.WithActors((system, registry) =>
                    registry.Register<HubActorBase>(system.ActorOf(HubActor.GetProps(hubSettings, metrics, inbox), HubActorBase.Name)));
            }

            // Added last, so environment variables such as AKKA__LOGLEVEL=DEBUG win over every file.
            var akkaSection = configuration.GetSection("akka");
            // Only when there is something to add: an empty section prepended dropped relay.hocon entirely
            // (seen here: run-by-clr-shutdown-hook = off was lost, so SIGTERM could stop Akka before the drain).
            if (akkaSection.GetChildren().Any())
            {
                akka.AddHocon(akkaSection, HoconAddMode.Prepend);
            }
        });

        var app = builder.Build();
        app.UseWebSockets();
        app.UseChatPage();
        var endpoint = app.Services.GetRequiredService<RelayWebSocketEndpoint>();
        app.Map("/ws/{id?}", endpoint.HandleAsync);
        app.MapRelayHealthChecks();
        app.MapRelayMetrics();
        ServerApi.Map(app);
        return app;
    }
}
