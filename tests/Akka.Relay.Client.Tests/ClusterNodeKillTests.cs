using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Akka.Relay.Testing.Stores;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// Three real server processes on a real PostgreSQL inbox store; users with resume on exchange SENDs through the .NET
/// client, each connected to one node with the other two as fallbacks, while one node is killed with SIGKILL. The users
/// connected to it resume on the others; the inboxes whose entities lived on it recover on the survivors. Every SEND is
/// answered truthfully, nothing acknowledged is lost, and each message reaches its application exactly once, in order,
/// with one sequence per user. The test writes the window during which SENDs were delayed or refused.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ClusterNodeKillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Pairs = 6;
    private const int PerUser = 240;
    private const int Window = 8;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Through_a_node_kill_every_acknowledged_message_arrives_exactly_once_in_order_and_users_resume_on_other_nodes()
    {
        var store = new PostgresServer();
        await store.InitializeAsync();
        try
        {
            await RunAsync(store);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private async Task RunAsync(PostgresServer store)
    {
        await using var cluster = await ProcessCluster.StartAsync(
            3,
            ("Relay__Inbox__Enabled", "true"),
            ("Relay__Inbox__Store", "postgresql"),
            ("Relay__Inbox__ConnectionString", store.ConnectionString));
        var nodes = cluster.Nodes;
        var victim = nodes[2];

        var clients = new List<(ulong Id, RelayClient Client, MessageCollector Reads, StateLog States)>();
        try
        {
            for (var i = 0; i < Pairs * 2; i++)
            {
                var id = Ids.Next();
                var home = i % 3;
                var options = new RelayClientOptions
                {
                    Resume = true,
                    ReconnectDelay = TimeSpan.FromMilliseconds(100),
                    MaxReconnectDelay = TimeSpan.FromSeconds(1),
                };
                for (var k = 1; k < 3; k++)
                {
                    options.FallbackServers.Add(nodes[(home + k) % 3].BaseUri);
                }

                // A session whose user's entity is still being placed is refused with 503 for a moment: the first
                // connect retries like any reconnect.
                options.MaxInitialConnectAttempts = 20;
                var client = await RelayClient.ConnectAsync(nodes[home].BaseUri, id, options);
                var states = new StateLog();
                states.Attach(client);
                clients.Add((id, client, MessageCollector.Start(client), states));
            }

            var killAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var answered = 0;
            var clock = Stopwatch.StartNew();
            var killedAt = TimeSpan.Zero;
            var killing = Task.Run(async () =>
            {
                await killAt.Task;
                killedAt = clock.Elapsed;
                await victim.KillAsync();
            });

            void OnAnswer()
            {
                if (Interlocked.Increment(ref answered) == Pairs * PerUser / 2)
                {
                    killAt.TrySetResult();
                }
            }

            // Pair p: clients 2p and 2p+1 write to each other; exchange i is client i's.
            var answeredBy = new int[clients.Count];
            var exchanges = new List<Task<List<Timed>>>();
            for (var p = 0; p < Pairs; p++)
            {
                foreach (var (writer, reader) in new[] { (2 * p, (2 * p) + 1), ((2 * p) + 1, 2 * p) })
                {
                    var index = writer;
                    exchanges.Add(ExchangeAsync(clients[writer].Client, clients[reader].Id, $"{clients[writer].Id}", clock, () =>
                    {
                        Interlocked.Increment(ref answeredBy[index]);
                        OnAnswer();
                    }));
                }
            }

            List<Timed>[] results;
            try
            {
                results = await Task.WhenAll(exchanges).WaitAsync(TimeSpan.FromMinutes(4));
            }
            catch (TimeoutException)
            {
                // Which writers got stuck, and what their connections went through: the place to start.
                for (var i = 0; i < clients.Count; i++)
                {
                    var changes = string.Join(" | ", clients[i].States.Changes.Select(c => $"{c.State} {(int?)c.CloseStatus} {c.CloseReason} {(int?)c.HandshakeStatus} {c.Error?.Message}"));
                    output.WriteLine($"user {clients[i].Id} (home node {(i % 3) + 1}): {Volatile.Read(ref answeredBy[i])} of {PerUser} answered; {changes}");
                }

                throw;
            }
            await killing.WaitAsync(Timeout);
            Assert.False(victim.IsRunning);

            var all = results.SelectMany(r => r).ToList();
            var afterKill = all.Where(r => r.SentAt >= killedAt).ToList();
            var slowest = all.MaxBy(r => r.Took)!;
            var unavailable = all.Where(r => r.Result.Outcome == SendOutcome.Error).ToList();
            output.WriteLine(
                $"{all.Count} SENDs; killed node 3 at {killedAt.TotalSeconds:F1} s after {Pairs * PerUser / 2} answers; " +
                $"delivered {all.Count(r => r.Result.Outcome == SendOutcome.Delivered)}, stored {all.Count(r => r.Result.Outcome == SendOutcome.Stored)}, " +
                $"errors {unavailable.Count} [{string.Join(", ", unavailable.Select(r => r.Result.Reason).Distinct())}]; " +
                $"slowest answer {slowest.Took.TotalSeconds:F1} s (sent {(slowest.SentAt - killedAt).TotalSeconds:F1} s after the kill); " +
                $"answers slower than 1 s: {all.Count(r => r.Took > TimeSpan.FromSeconds(1))}, " +
                $"p99 after the kill {Percentile(afterKill, 0.99).TotalMilliseconds:F0} ms");
            foreach (var (id, _, _, states) in clients)
            {
                var reconnects = states.Changes.Count(c => c.State == RelayConnectionState.Reconnecting);
                output.WriteLine($"user {id}: {reconnects} reconnects");
            }

            Assert.All(all, r => Assert.True(r.Result.Outcome is SendOutcome.Delivered or SendOutcome.Stored, $"unexpected answer {r.Result} to {r.Content}"));

            // The users that were connected to the killed node came back through another one.
            for (var i = 2; i < clients.Count; i += 3)
            {
                Assert.Contains(clients[i].States.Changes, c => c.State == RelayConnectionState.Reconnecting);
            }

            // Every message answered was stored: each application gets all of its peer's, once, in order, one epoch, seq 1..n.
            for (var p = 0; p < Pairs; p++)
            {
                foreach (var (reader, writer, sent) in new[] { (clients[(2 * p) + 1], clients[2 * p], results[2 * p]), (clients[2 * p], clients[(2 * p) + 1], results[(2 * p) + 1]) })
                {
                    await reader.Reads.WaitUntilAsync(m => m.Count >= sent.Count, Timeout);
                    var received = reader.Reads.Snapshot();
                    Assert.All(received, m => Assert.Equal(writer.Id, m.Sender));
                    Assert.Equal(sent.Select(r => r.Content), received.Select(m => m.Content));
                    Assert.Single(received.Select(m => m.Epoch).Distinct());
                    Assert.Equal(Enumerable.Range(1, sent.Count).Select(k => (ulong?)(ulong)k), received.Select(m => m.Seq));
                }
            }
        }
        finally
        {
            foreach (var (_, client, _, _) in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static TimeSpan Percentile(List<Timed> results, double quantile)
    {
        if (results.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var sorted = results.Select(r => r.Took).Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(quantile * sorted.Count))];
    }

    /// <summary>PerUser SENDs in one order, up to Window of them unanswered at a time; each must complete.</summary>
    private static async Task<List<Timed>> ExchangeAsync(RelayClient client, ulong receiver, string tag, Stopwatch clock, Action onAnswer)
    {
        var results = new List<Timed>();
        var inFlight = new Queue<(string Content, TimeSpan SentAt, Task<SendResult> Answer)>();
        for (var k = 0; k < PerUser; k++)
        {
            if (inFlight.Count == Window)
            {
                results.Add(await CompleteAsync(inFlight.Dequeue(), clock));
                onAnswer();
            }

            var content = $"{tag}:{k}";
            inFlight.Enqueue((content, clock.Elapsed, client.SendAsync(receiver, content)));
        }

        while (inFlight.Count > 0)
        {
            results.Add(await CompleteAsync(inFlight.Dequeue(), clock));
            onAnswer();
        }

        return results;
    }

    private static async Task<Timed> CompleteAsync((string Content, TimeSpan SentAt, Task<SendResult> Answer) send, Stopwatch clock)
    {
        var result = await send.Answer.WaitAsync(Timeout);
        return new Timed(send.Content, send.SentAt, clock.Elapsed - send.SentAt, result);
    }

    private sealed record Timed(string Content, TimeSpan SentAt, TimeSpan Took, SendResult Result);
}
