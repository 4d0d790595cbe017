using System.Globalization;
using System.Net;
using System.Text.Json;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Cluster.Tests;

/// <summary>The server API on a three-node cluster: any node's API reaches users on every node, and counts them cluster-wide.</summary>
[Collection(ClusterFixtureCollection.Name)]
public sealed class ServerApiClusterTests
{
    private readonly ClusterNodes _cluster;

    public ServerApiClusterTests(ClusterNodes cluster)
    {
        _cluster = cluster;
    }

    private RelayServer Node(int index) => _cluster.Nodes[index];

    private static string Notice(ulong receiver, string content) =>
        $$"""{"type":2,"sender":0,"receiver":{{receiver.ToString(CultureInfo.InvariantCulture)}},"content":{{JsonSerializer.Serialize(content)}}}""";

    [Fact]
    public async Task Api_send_on_one_node_reaches_the_users_sessions_on_other_nodes_and_answers_success_send()
    {
        var u = Ids.Next();
        await using var onTwo = await Node(1).ConnectAsync(u);
        await using var onThree = await Node(2).ConnectAsync(u);
        using var api = new ApiClient(Node(0).BaseUri);

        var (status, body) = await api.SendToAsync(u, "from the backend, through node 1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success send", body.GetProperty("result").GetString());
        Assert.Equal(Notice(u, "from the backend, through node 1"), await onTwo.ReceiveTextAsync());
        Assert.Equal(Notice(u, "from the backend, through node 1"), await onThree.ReceiveTextAsync());
    }

    [Fact]
    public async Task Api_send_to_a_user_connected_nowhere_answers_not_online()
    {
        using var api = new ApiClient(Node(1).BaseUri);

        var (status, body) = await api.SendToAsync(Ids.Next(), "anyone?");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("not online", body.GetProperty("result").GetString());
    }

    [Fact]
    public async Task User_lookup_counts_sessions_on_every_node()
    {
        var u = Ids.Next();
        await using var onOne = await Node(0).ConnectAsync(u);
        await using var onThree = await Node(2).ConnectAsync(u);
        using var api = new ApiClient(Node(1).BaseUri);

        var (status, body) = await api.GetAsync($"api/users/{u}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("online").GetBoolean());
        Assert.Equal(2, body.GetProperty("sessions").GetInt32());
        var (_, nobody) = await api.GetAsync($"api/users/{Ids.Next()}");
        Assert.False(nobody.GetProperty("online").GetBoolean());
    }

    [Fact]
    public async Task Api_broadcast_on_one_node_reaches_sessions_on_every_node()
    {
        var clients = new List<TestClient>();
        try
        {
            foreach (var node in _cluster.Nodes)
            {
                clients.Add(await node.ConnectAsync(Ids.Next()));
            }

            using var api = new ApiClient(Node(2).BaseUri);
            var marker = "cluster-wide notice " + Guid.NewGuid().ToString("N");
            var (status, _) = await api.PostAsync("api/broadcast", JsonSerializer.Serialize(new { content = marker }));
            Assert.Equal(HttpStatusCode.Accepted, status);

            foreach (var client in clients)
            {
                while (true)
                {
                    var text = await client.ReceiveTextAsync();
                    if (text.Contains(marker, StringComparison.Ordinal))
                    {
                        Assert.Equal($$"""{"type":2,"sender":0,"content":"{{marker}}"}""", text);
                        break;
                    }
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Stats_list_every_node_and_sum_their_sessions()
    {
        var u = Ids.Next();
        await using var onOne = await Node(0).ConnectAsync(u);
        await using var onTwo = await Node(1).ConnectAsync(Ids.Next());
        using var api = new ApiClient(Node(0).BaseUri);

        var (status, body) = await api.GetAsync("api/stats");

        Assert.Equal(HttpStatusCode.OK, status);
        var cluster = body.GetProperty("cluster");
        Assert.Equal(3, cluster.GetProperty("nodes").GetInt32());
        Assert.Equal(3, cluster.GetProperty("nodesAnswered").GetInt32());
        var members = cluster.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(3, members.Count);
        Assert.Equal(members.Sum(m => m.GetProperty("sessions").GetInt32()), cluster.GetProperty("sessions").GetInt32());
        Assert.True(cluster.GetProperty("sessions").GetInt32() >= 2);
        Assert.StartsWith("akka.tcp://relay@", body.GetProperty("node").GetProperty("address").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("node").GetProperty("sessions").GetInt32() >= 1);
    }

    [Fact]
    public void The_api_queries_cross_nodes_with_the_relay_serializer()
    {
        var system = ClusterNodes.SystemOf(Node(0));
        var serialization = system.Serialization;
        foreach (var message in new object[] { new GetUserSessions(42), new UserSessions(42, 3), GetHubStats.Instance, new HubStats(7, 9) })
        {
            var serializer = serialization.FindSerializerFor(message);
            Assert.Equal(Akka.Relay.Cluster.Serialization.RelayMessageSerializer.Id, serializer.Identifier);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
            Assert.Equal(message, serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
        }
    }
}
