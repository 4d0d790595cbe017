using System.Globalization;
using Akka.Relay.Server.Tests.Fuzz;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// Several clients send the server garbage of every kind for a bounded time while a probe pair keeps
/// exchanging 1:1 messages. The server must stay up, answer every bad input with the error reply or
/// close code the spec names, lose and reorder nothing of the probe pair, never relay a message under
/// the wrong sender, and log no failure.
/// </summary>
/// <remarks>
/// Seeded: <c>RELAY_FUZZ_SEED</c> replays a run (each client's inputs depend only on the seed and its
/// index); <c>RELAY_FUZZ_SECONDS</c> (default 6) and <c>RELAY_FUZZ_CLIENTS</c> (default 6) make it longer
/// or wider. The seed and the counts are written to the test output.
/// </remarks>
public sealed class FuzzTests
{
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [Fact]
    public async Task The_server_survives_garbage_answers_each_input_as_specified_and_the_probe_pair_loses_nothing()
    {
        var seed = Setting("RELAY_FUZZ_SEED", Random.Shared.Next());
        var seconds = Setting("RELAY_FUZZ_SECONDS", 6);
        var clients = Setting("RELAY_FUZZ_CLIENTS", 6);
        _output.WriteLine($"fuzz seed {seed} (replay with RELAY_FUZZ_SEED={seed}), {seconds} s, {clients} clients");

        // A short close timeout: a session that never answers our close frame is aborted soon.
        await using var server = await RelayServer.StartAsync(("Relay:CloseTimeout", "00:00:02"));
        var registry = new FuzzRegistry();
        var stats = new FuzzStats();
        var (a, b) = (Ids.Next(), Ids.Next());
        registry.Probes.Add(a);
        registry.Probes.Add(b);
        var probes = await ProbePair.StartAsync(server, a, b, registry);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        var fuzzers = Enumerable.Range(0, clients)
            .Select(i => Task.Run(() => new FuzzClient(server.BaseUri, i, seed, registry, stats).RunAsync(deadline)))
            .ToArray();
        await Task.WhenAll(fuzzers).WaitAsync(TimeSpan.FromSeconds(seconds + 120));
        await probes.StopAsync(TimeSpan.FromSeconds(30));

        _output.WriteLine(stats.Report());
        _output.WriteLine($"probe pair: {probes.Sent} sent, {probes.Received} received");

        // Every fuzz session has ended and is unregistered: only the probes are left.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((await server.GetHubStatsAsync()).Sessions != 0 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(Probe.PollInterval);
        }

        var hub = await server.GetHubStatsAsync();
        var failures = server.Logs.Failures;
        foreach (var entry in server.Logs.Entries)
        {
            _output.WriteLine("server log: " + entry);
        }

        var context = $"(seed {seed}; replay with RELAY_FUZZ_SEED={seed})";
        Assert.True(stats.Mismatches.Count == 0, $"{stats.Mismatches.Count} inputs did not get the outcome the spec names {context}:{Environment.NewLine}{string.Join(Environment.NewLine, stats.Mismatches.Take(10))}");
        Assert.True(registry.Violations.Count == 0, $"messages under the wrong sender {context}:{Environment.NewLine}{string.Join(Environment.NewLine, registry.Violations.Take(10))}");
        Assert.True(probes.Problems.Count == 0, $"the probe pair saw problems {context}:{Environment.NewLine}{string.Join(Environment.NewLine, probes.Problems.Take(10))}");
        Assert.True(probes.Received > 0, $"the probe pair exchanged nothing {context}");
        Assert.True(stats.Inputs > clients * 10, $"only {stats.Inputs} inputs were sent {context}");
        Assert.True(failures.Count == 0, $"the server logged failures {context}:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(5))}");
        Assert.True(hub.Sessions == 0, $"{hub.Sessions} sessions still registered after every client left {context}");

        // And it still serves.
        var (c, d) = (Ids.Next(), Ids.Next());
        await using var carol = await server.ConnectAsync(c);
        await using var dave = await server.ConnectAsync(d);
        await Probe.RoundTripAsync(carol, c, dave, d, "after the fuzz");
    }
}
