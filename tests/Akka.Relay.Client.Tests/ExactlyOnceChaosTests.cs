using System.Collections.Concurrent;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// Two users with resume on (protocol 1.1, a single node on its own SQLite store) exchange thousands of SENDs through
/// a proxy that cuts both their connections every few hundred milliseconds, mid-frame too, and in the second test
/// across a restart of the server on the same store. Every SEND is answered truthfully (<c>success send</c> or
/// <c>stored</c>: never lost), and each message reaches the application exactly once, in the order sent: a resend
/// carries the same <c>mid</c>, so the inbox drops the copy, and the resume replays what a cut swallowed.
/// </summary>
public sealed class ExactlyOnceChaosTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int PerUser = 2000;
    private const int Window = 16;
    private const int MinCuts = 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly InboxFile _inbox = new();
    private int _answered;

    public void Dispose() => _inbox.Dispose();

    [Fact]
    public async Task Under_cuts_every_send_is_delivered_or_stored_and_reaches_the_app_exactly_once_in_order()
    {
        await RunAsync(restartAfter: null);
    }

    [Fact]
    public async Task Under_cuts_and_a_server_restart_on_the_same_store_every_message_still_arrives_exactly_once_in_order()
    {
        await RunAsync(restartAfter: PerUser / 2);
    }

    private async Task RunAsync(int? restartAfter)
    {
        var unobserved = new ConcurrentQueue<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) =>
        {
            if (e.Exception.ToString().Contains("Akka.Relay.Client.", StringComparison.Ordinal))
            {
                unobserved.Enqueue(e.Exception);
            }
        };
        TaskScheduler.UnobservedTaskException += onUnobserved;
        var server = await _inbox.StartServerAsync(("Relay:DrainSpread", "00:00:00"));
        try
        {
            var port = server.BaseUri.Port;
            await using var proxy = new ChaosProxy(server.BaseUri);
            var (a, b) = (Ids.Next(), Ids.Next());
            var options = new RelayClientOptions
            {
                Resume = true,
                ReconnectDelay = TimeSpan.FromMilliseconds(20),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            };
            await using var alice = await RelayClient.ConnectAsync(proxy.Uri, a, options);
            await using var bob = await RelayClient.ConnectAsync(proxy.Uri, b, options);
            var gaps = new ConcurrentQueue<RelayGap>();
            var errors = new ConcurrentQueue<string>();
            foreach (var client in new[] { alice, bob })
            {
                client.Gap += gaps.Enqueue;
                client.ServerError += errors.Enqueue;
            }

            var aliceStates = new StateLog();
            var bobStates = new StateLog();
            aliceStates.Attach(alice);
            bobStates.Attach(bob);
            var aliceReads = MessageCollector.Start(alice);
            var bobReads = MessageCollector.Start(bob);

            var cutting = proxy.CutEvery(150, 450);

            var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var restarting = Task.Run(async () =>
            {
                if (restartAfter is null)
                {
                    return -1;
                }

                await halfway.Task;
                await server.DisposeAsync();
                server = await _inbox.StartServerAsync(("Relay:DrainSpread", "00:00:00"), ("urls", $"http://127.0.0.1:{port}"));
                return Volatile.Read(ref _answered);
            });

            var answers = await Task.WhenAll(
                ExchangeAsync(alice, b, "a", proxy, restartAfter, halfway, () => Interlocked.Increment(ref _answered)),
                ExchangeAsync(bob, a, "b", proxy, restartAfter, halfway, () => Interlocked.Increment(ref _answered)));
            await cutting.DisposeAsync();
            var answeredAtRestart = await restarting.WaitAsync(Timeout);

            var all = answers.SelectMany(x => x).ToList();
            output.WriteLine(
                $"cuts {proxy.Cuts}, SENDs {all.Count}, delivered {all.Count(r => r.Outcome == SendOutcome.Delivered)}, " +
                $"stored {all.Count(r => r.Outcome == SendOutcome.Stored)}, " +
                $"reconnects a {aliceStates.Changes.Count(c => c.State == RelayConnectionState.Reconnecting)} b {bobStates.Changes.Count(c => c.State == RelayConnectionState.Reconnecting)}, " +
                $"server errors [{string.Join(", ", errors.Distinct())}]");
            Assert.All(all, r => Assert.True(r.Outcome is SendOutcome.Delivered or SendOutcome.Stored, $"unexpected answer {r}"));
            Assert.True(proxy.Cuts >= MinCuts, $"only {proxy.Cuts} cuts");
            if (restartAfter is not null)
            {
                // The new server was up while SENDs were still being answered: the restart happened mid-stream.
                output.WriteLine($"the new server was listening after {answeredAtRestart} of {all.Count} answers");
                Assert.InRange(answeredAtRestart, 1, all.Count - 1);
            }

            // Every message answered was stored: each side's application gets all of them, once, in order.
            foreach (var (reads, sender, tag, count) in new[] { (bobReads, a, "a", answers[0].Count), (aliceReads, b, "b", answers[1].Count) })
            {
                await reads.WaitUntilAsync(m => m.Count >= count, Timeout);
                var received = reads.Snapshot();
                Assert.All(received, m => Assert.Equal(sender, m.Sender));
                var contents = received.Select(m => m.Content).ToList();
                var expected = Enumerable.Range(0, count).Select(k => $"{tag}:{k}").ToList();
                var firstWrong = Enumerable.Range(0, Math.Min(contents.Count, count)).FirstOrDefault(i => contents[i] != expected[i], -1);
                Assert.True(
                    contents.SequenceEqual(expected),
                    $"{tag}'s {count} messages arrived as {contents.Count}, first difference at {firstWrong}: {(firstWrong < 0 ? "-" : contents[firstWrong])}");
                Assert.Single(received.Select(m => m.Epoch).Distinct());
                Assert.Equal(Enumerable.Range(1, count).Select(k => (ulong?)(ulong)k), received.Select(m => m.Seq));
            }

            Assert.Empty(gaps);
        }
        finally
        {
            await server.DisposeAsync();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.Empty(unobserved);
    }

    /// <summary>
    /// At least PerUser SENDs, and on until MinCuts cuts have happened, in one order, up to Window of them unanswered at
    /// a time; each must complete. The one that reaches <paramref name="restartAfter"/> first starts the server's restart.
    /// </summary>
    private static async Task<List<SendResult>> ExchangeAsync(
        RelayClient client, ulong receiver, string tag, ChaosProxy proxy, int? restartAfter, TaskCompletionSource halfway, Action onAnswer)
    {
        var results = new List<SendResult>();
        var inFlight = new Queue<Task<SendResult>>();
        for (var k = 0; k < PerUser || proxy.Cuts < MinCuts; k++)
        {
            Assert.True(k < 100 * PerUser, $"only {proxy.Cuts} cuts after {k} SENDs");
            if (k == restartAfter)
            {
                halfway.TrySetResult();
            }

            if (inFlight.Count == Window)
            {
                results.Add(await inFlight.Dequeue().WaitAsync(Timeout));
                onAnswer();
            }

            inFlight.Enqueue(client.SendAsync(receiver, $"{tag}:{k}"));
        }

        while (inFlight.Count > 0)
        {
            results.Add(await inFlight.Dequeue().WaitAsync(Timeout));
            onAnswer();
        }

        return results;
    }
}
