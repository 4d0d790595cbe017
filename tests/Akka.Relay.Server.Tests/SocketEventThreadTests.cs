using System.Diagnostics;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// A server process on Linux runs the .NET socket engine's event threads under <c>SCHED_BATCH</c>
/// (<c>Relay:BatchSocketEventThreads</c>, on by default), and serves as before; turned off they keep the normal policy.
/// </summary>
public sealed class SocketEventThreadTests
{
    private const string EventThreadName = ".NET Sockets";
    private const int SchedOther = 0;
    private const int SchedBatch = 3;

    [Theory]
    [InlineData(null, SchedBatch)]
    [InlineData("false", SchedOther)]
    public async Task The_socket_event_threads_run_under_the_configured_policy_and_sessions_relay(string? setting, int expected)
    {
        await using var node = await ServerProcess.StartAsync(setting is null ? [] : [("Relay__BatchSocketEventThreads", setting)]);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await TestClient.ConnectAsync(node.WebSocketUri(a), autoRead: true);
        await using var bob = await TestClient.ConnectAsync(node.WebSocketUri(b), autoRead: true);
        await Probe.RoundTripAsync(alice, a, bob, b, "through the event thread");

        // The policy is set once Kestrel listens; the sessions above have run through the thread either way.
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        while (true)
        {
            var policies = node.ThreadPolicies(EventThreadName);
            if (policies.Count > 0 && policies.All(p => p == expected))
            {
                break;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"socket event threads' policies [{string.Join(", ", policies)}], expected {expected}\n{node.Log}");
            await timer.WaitForNextTickAsync();
        }

        await Probe.RoundTripAsync(bob, b, alice, a, "and back");
    }
}
