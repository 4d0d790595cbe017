using System.Net;
using System.Text.Json;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Testing.Server;
using Microsoft.Extensions.Options;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Cluster.Tests;

/// <summary>How a clustered node is set up: no silent cluster of one, and ready only in a cluster of at least MinMembers.</summary>
public sealed class ClusterSetupTests
{
    [Fact]
    public async Task A_clustered_node_without_seed_nodes_refuses_to_start_unless_told_to_form_a_new_cluster()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RelayServer.StartAsync(
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Cluster:Port", "0")));

        Assert.Contains("Relay:Cluster:SeedNodes is empty", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Relay:Cluster:FormNewCluster=true", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Relay:Cluster:MinMembers", "0", "Relay:Cluster:MinMembers must be at least 1")]
    [InlineData("Relay:Cluster:SeedNodes:0", "akka.tcp://relay@127.0.0.1:4053", "cannot be combined with Relay:Cluster:SeedNodes")]
    public async Task Contradicting_or_out_of_range_cluster_settings_stop_the_start_with_a_clear_message(string key, string value, string message)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RelayServer.StartAsync(
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Cluster:Port", "0"),
            ("Relay:Cluster:FormNewCluster", "true"),
            (key, value)));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_alone_is_not_ready_with_MinMembers_two_and_becomes_ready_when_a_second_node_joins()
    {
        await using var first = await RelayServer.StartAsync(
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Inbox:Enabled", "false"),
            ("Relay:Cluster:Port", "0"),
            ("Relay:Cluster:FormNewCluster", "true"),
            ("Relay:Cluster:MinMembers", "2"));

        // Once it has joined itself it stays Joining, however long it waits: the readiness answer says why.
        var self = AkkaCluster.Get(ClusterNodes.SystemOf(first));
        await ClusterNodes.WaitUntilAsync(() => self.State.Members.Count == 1, TimeSpan.FromSeconds(30), "the node joined itself");
        var (status, body) = await ReadyzAsync(first);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var cluster = body.GetProperty("checks").GetProperty("cluster");
        Assert.Equal("Unhealthy", cluster.GetProperty("status").GetString());
        Assert.Contains("Relay:Cluster:MinMembers", cluster.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, cluster.GetProperty("data").GetProperty("members").GetInt32());

        var seed = self.SelfAddress.ToString();
        await using var second = await RelayServer.StartAsync(
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Inbox:Enabled", "false"),
            ("Relay:Cluster:Port", "0"),
            ("Relay:Cluster:SeedNodes:0", seed),
            ("Relay:Cluster:MinMembers", "2"));

        foreach (var node in new[] { first, second })
        {
            var ready = await UntilReadyAsync(node, TimeSpan.FromSeconds(60));
            var data = ready.GetProperty("checks").GetProperty("cluster").GetProperty("data");
            Assert.Equal(2, data.GetProperty("membersUp").GetInt32());
            Assert.True(data.GetProperty("directoryRegions").GetInt32() >= 1, $"ready without its own region: {ready}");
        }

        // A node is ready once the coordinator lists its own region; the other node's may be registered a moment later.
        foreach (var node in new[] { first, second })
        {
            await UntilReadyAsync(node, TimeSpan.FromSeconds(60), data => data.GetProperty("directoryRegions").GetInt32() == 2);
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyzAsync(RelayServer node)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync("readyz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.Clone());
    }

    private static async Task<JsonElement> UntilReadyAsync(RelayServer node, TimeSpan timeout, Func<JsonElement, bool>? clusterData = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            var (status, body) = await ReadyzAsync(node);
            if (status == HttpStatusCode.OK
                && (clusterData is null || clusterData(body.GetProperty("checks").GetProperty("cluster").GetProperty("data"))))
            {
                return body;
            }

            Assert.True(watch.Elapsed < timeout, $"not ready within {timeout}: {body}");
            await timer.WaitForNextTickAsync();
        }
    }
}
