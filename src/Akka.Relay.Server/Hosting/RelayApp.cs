using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Hosting;

/// <summary>Builds the relay's web application: configuration, Akka, endpoints.</summary>
public static class RelayApp
{
    /// <summary>Where the server listens when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c>/<c>ASPNETCORE_HTTP_PORTS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

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

        builder.Services.AddOptions<RelayOptions>()
            .Bind(configuration.GetSection(RelayOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>();
        builder.Services.AddSingleton<RelayWebSocketEndpoint>();
        builder.Services.AddHostedService<SessionDrainService>();

        builder.Services.AddAkka("relay", (akka, services) =>
        {
            var relay = services.GetRequiredService<IOptions<RelayOptions>>().Value;
            akka.AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "relay.hocon"), HoconAddMode.Append)
                // Environment variables such as AKKA__LOGLEVEL=DEBUG win over the file.
                .AddHocon(configuration.GetSection("akka"), HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                .WithActors((system, registry) =>
                {
                    var hub = system.ActorOf(HubActor.GetProps(new HubSettings(relay.MaxSessionsPerUser)), "hub");
                    registry.Register<HubActor>(hub);
                });
        });

        var app = builder.Build();
        app.UseWebSockets();
        var endpoint = app.Services.GetRequiredService<RelayWebSocketEndpoint>();
        app.Map("/ws/{id?}", endpoint.HandleAsync);
        return app;
    }
}
