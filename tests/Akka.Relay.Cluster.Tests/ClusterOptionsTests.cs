using Akka.Relay.Testing.Server;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Cluster.Tests;

/// <summary>Cluster settings are checked at start: a bad value stops the server with a message naming the setting.</summary>
public sealed class ClusterOptionsTests
{
    [Theory]
    [InlineData("Relay:Cluster:SendRetryInterval", "00:00:00", "SendRetryInterval")]
    [InlineData("Relay:Cluster:SendGiveUpTimeout", "00:00:00.200", "SendGiveUpTimeout")]
    public async Task A_retry_interval_that_is_not_positive_or_a_ceiling_not_above_it_stops_the_server(string key, string value, string named)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RelayServer.StartAsync(
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Cluster:Port", "0"),
            (key, value)));

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }
}
