using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary><c>/healthz</c> and <c>/readyz</c>: JSON answers, ready while serving, not ready once draining.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_answers_200_with_a_json_status()
    {
        await using var server = await RelayServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.GetAsync("healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_reports_each_check_when_serving_alone()
    {
        await using var server = await RelayServer.StartAsync();
        using var http = server.CreateHttpClient();

        // Ready once the hub knows which users hold an inbox (it lists them from the store at start).
        var (status, body) = await GetJsonAsync(http, "readyz");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var poll = new PeriodicTimer(Probe.PollInterval);
        while (status != HttpStatusCode.OK && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("inbox").GetProperty("status").GetString());
            await poll.WaitForNextTickAsync();
            (status, body) = await GetJsonAsync(http, "readyz");
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("actor-system").GetProperty("status").GetString());
        Assert.Equal("not clustered", checks.GetProperty("cluster").GetProperty("description").GetString());
        Assert.Equal("Healthy", checks.GetProperty("drain").GetProperty("status").GetString());
        Assert.Equal("users with an inbox known", checks.GetProperty("inbox").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Readyz_turns_503_while_draining_and_healthz_stays_200()
    {
        // A client that does not answer the server's close keeps the drain open (up to the close timeout).
        await using var server = await RelayServer.StartAsync(("Relay:CloseTimeout", "00:00:30"), ("Relay:DrainTimeout", "00:00:30"));
        using var http = server.CreateHttpClient();
        var id = Ids.Next();
        await using var holder = await server.ConnectAsync(id);
        holder.AnswerClose = false;

        var stop = server.StopAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await holder.ReceiveAsync()).CloseStatus);

        var (status, body) = await GetJsonAsync(http, "readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("draining", body.GetProperty("checks").GetProperty("drain").GetProperty("description").GetString());
        using (var live = await http.GetAsync("healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var timeout = new CancellationTokenSource(TestClient.DefaultTimeout))
        {
            await holder.Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, string.Empty, timeout.Token);
        }

        await stop.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }
}
