using Akka.Actor;
using Akka.Relay.Testing.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Akka.Relay.Server.Tests;

/// <summary>The actor system runs with hocon/relay.hocon over Akka's defaults, and configuration (env vars) over the file.</summary>
public sealed class AkkaConfigurationTests
{
    [Fact]
    public async Task The_relay_hocon_file_wins_over_the_defaults()
    {
        await using var server = await RelayServer.StartAsync();
        var config = server.App.Services.GetRequiredService<ActorSystem>().Settings.Config;

        // If Akka's process-exit hook ran, SIGTERM could stop the actor system before the sessions were drained.
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook"));
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.exit-clr"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("akka.actor.ask-timeout"));
    }

    [Fact]
    public async Task Configuration_keys_win_over_the_relay_hocon_file()
    {
        // The same key an operator sets as AKKA__ACTOR__ASK_TIMEOUT=7s.
        await using var server = await RelayServer.StartAsync(("akka:actor:ask-timeout", "7s"));
        var config = server.App.Services.GetRequiredService<ActorSystem>().Settings.Config;

        Assert.Equal(TimeSpan.FromSeconds(7), config.GetTimeSpan("akka.actor.ask-timeout"));
    }
}
