using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Testing.Processes;

/// <summary>Client-side steps against server processes that may be starting, dying or leaving.</summary>
public static class ProcessProbes
{
    /// <summary>Connects once the node accepts WebSocket sessions (it may still be starting).</summary>
    public static async Task<TestClient> ConnectWhenUpAsync(ServerProcess node, ulong userId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            try
            {
                return await TestClient.ConnectAsync(node.WebSocketUri(userId), autoRead: true);
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or OperationCanceledException && watch.Elapsed < timeout)
            {
                Assert.True(node.IsRunning, $"the server exited:\n{node.Log}");
                await timer.WaitForNextTickAsync();
            }
        }
    }

    /// <summary>SENDs to <paramref name="userId"/> until the ack is <paramref name="expected"/>; other acks are allowed meanwhile.</summary>
    public static async Task UntilAckAsync(TestClient from, ulong userId, string expected, TimeSpan timeout, ServerProcess logOf)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        string? last = null;
        while (true)
        {
            var remaining = timeout - watch.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"no '{expected}' within {timeout}; last ack: {last ?? "none"}\n{logOf.Log}");
            await from.SendToAsync(userId, "are you there?");
            try
            {
                last = await from.ReceiveTextAsync(remaining);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"no ack within {timeout}; last ack: {last ?? "none"}\n{logOf.Log}");
            }

            if (last == expected)
            {
                return;
            }

            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>
    /// SENDs to <paramref name="userId"/> until the ack is "not online"; returns when that was (on
    /// <paramref name="clock"/>) and the longest time any single ack took.
    /// </summary>
    public static async Task<(TimeSpan Offline, TimeSpan LongestAckWait)> UntilOfflineAsync(
        TestClient prober, ulong userId, Stopwatch clock, TimeSpan timeout, ServerProcess logOf)
    {
        using var timer = new PeriodicTimer(Probe.PollInterval);
        var longest = TimeSpan.Zero;
        while (true)
        {
            var remaining = timeout - clock.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"user {userId} still online {timeout} after the kill\n{logOf.Log}");
            var sent = clock.Elapsed;
            await prober.SendToAsync(userId, "are you there?");
            string ack;
            try
            {
                ack = await prober.ReceiveTextAsync(remaining);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"no ack for user {userId} within {timeout} of the kill\n{logOf.Log}");
                throw;
            }

            var wait = clock.Elapsed - sent;
            longest = wait > longest ? wait : longest;
            if (ack == Wire.NotOnline(userId))
            {
                return (clock.Elapsed, longest);
            }

            Assert.True(
                ack == Wire.SuccessSend(userId),
                $"user {userId}: a SEND at {sent.TotalSeconds:F1} s after the kill was answered {ack} at {clock.Elapsed.TotalSeconds:F1} s (only 'success send' or 'not online' may come)\n{logOf.Log}");
            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>Reads and drops whatever probes already delivered to <paramref name="client"/>.</summary>
    public static async Task DrainAsync(TestClient client) =>
        await Probe.ReceiveUntilQuietAsync(client, TimeSpan.FromMilliseconds(300));

    /// <summary>Waits until <paramref name="node"/>'s <c>/readyz</c> answers 200.</summary>
    public static async Task WaitForReadyAsync(ServerProcess node, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            var (status, body) = await node.GetJsonAsync("readyz");
            if (status == HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(watch.Elapsed < timeout, $"node not ready after {timeout}: {body}\n{node.Log}");
            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>Waits until <paramref name="node"/> is ready and sees <paramref name="expected"/> members Up.</summary>
    public static async Task WaitForMembersUpAsync(ServerProcess node, int expected, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        var last = -1;
        while (true)
        {
            var (status, body) = await node.GetJsonAsync("readyz");
            var cluster = body.GetProperty("checks").GetProperty("cluster");
            last = cluster.TryGetProperty("data", out var data) ? data.GetProperty("membersUp").GetInt32() : -1;
            if (status == HttpStatusCode.OK && last == expected)
            {
                return;
            }

            Assert.True(watch.Elapsed < timeout, $"node {node.ClusterAddress} still reports {last} members up (status {status}) after {timeout}: {body}\n{node.Log}");
            await timer.WaitForNextTickAsync();
        }
    }
}
