using System.Collections.Concurrent;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// Two users exchange thousands of SENDs through a proxy that cuts both their connections every few hundred
/// milliseconds, mid-frame too. With version 1 (no inbox) a cut may lose a message or, through the resend of an
/// unanswered SEND, deliver it twice; what the client guarantees there is checked: every SEND is answered, the
/// client always comes back, nothing arrives out of order per sender, and nothing goes unobserved.
/// </summary>
public sealed class ChaosTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int PerUser = 2000;
    private const int Window = 16;
    private const int MinCuts = 20;
    private const int MaxPerUser = 1_000_000;

    [Fact]
    public async Task Under_cuts_every_send_completes_the_client_comes_back_and_order_per_sender_holds()
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
        try
        {
            await using var server = await RelayServer.StartAsync();
            await using var proxy = new ChaosProxy(server.BaseUri);
            var (a, b) = (Ids.Next(), Ids.Next());
            var options = new RelayClientOptions
            {
                ReconnectDelay = TimeSpan.FromMilliseconds(20),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            };
            await using var alice = await RelayClient.ConnectAsync(proxy.Uri, a, options);
            await using var bob = await RelayClient.ConnectAsync(proxy.Uri, b, options);
            var aliceStates = new StateLog();
            var bobStates = new StateLog();
            aliceStates.Attach(alice);
            bobStates.Attach(bob);
            var aliceReads = MessageCollector.Start(alice);
            var bobReads = MessageCollector.Start(bob);

            var cutting = proxy.CutEvery(150, 450);

            var answers = await Task.WhenAll(ExchangeAsync(alice, b, "a", proxy), ExchangeAsync(bob, a, "b", proxy));
            await cutting.DisposeAsync();

            foreach (var result in answers.SelectMany(x => x))
            {
                Assert.True(
                    result.Outcome is SendOutcome.Delivered or SendOutcome.NotOnline,
                    $"unexpected answer {result}");
            }

            Assert.Contains(answers.SelectMany(x => x), r => r.Outcome == SendOutcome.Delivered);
            var all = answers.SelectMany(x => x).ToList();
            output.WriteLine(
                $"cuts {proxy.Cuts}, SENDs {all.Count}, delivered {all.Count(r => r.Outcome == SendOutcome.Delivered)}, " +
                $"not online {all.Count(r => r.Outcome == SendOutcome.NotOnline)}, " +
                $"reconnects a {aliceStates.Changes.Count(c => c.State == RelayConnectionState.Reconnecting)} b {bobStates.Changes.Count(c => c.State == RelayConnectionState.Reconnecting)}");

            // Both come back once the cutting stops, and a SEND each way is delivered.
            await WaitConnectedAsync(alice, aliceStates);
            await WaitConnectedAsync(bob, bobStates);
            await SendUntilDeliveredAsync(alice, b, "a:final");
            await SendUntilDeliveredAsync(bob, a, "b:final");
            await bobReads.WaitUntilAsync(m => m.Any(x => x.Content == "a:final"));
            await aliceReads.WaitUntilAsync(m => m.Any(x => x.Content == "b:final"));

            foreach (var (reads, sender, tag) in new[] { (bobReads, a, "a"), (aliceReads, b, "b") })
            {
                var (received, distinct) = AssertInOrder(reads.Snapshot(), sender, tag);
                output.WriteLine($"{tag}'s messages received: {received} ({received - distinct} repeated by a resend)");
            }
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.Empty(unobserved);
    }

    /// <summary>
    /// At least PerUser SENDs, and on until MinCuts cuts have happened, in one order, up to Window of them unanswered
    /// at a time; each must complete.
    /// </summary>
    private static async Task<List<SendResult>> ExchangeAsync(RelayClient client, ulong receiver, string tag, ChaosProxy proxy)
    {
        var results = new List<SendResult>();
        var inFlight = new Queue<Task<SendResult>>();
        for (var k = 0; k < PerUser || proxy.Cuts < MinCuts; k++)
        {
            Assert.True(k < MaxPerUser, $"only {proxy.Cuts} cuts after {k} SENDs");
            if (inFlight.Count == Window)
            {
                results.Add(await inFlight.Dequeue().WaitAsync(TimeSpan.FromSeconds(60)));
            }

            inFlight.Enqueue(client.SendAsync(receiver, $"{tag}:{k}"));
        }

        while (inFlight.Count > 0)
        {
            results.Add(await inFlight.Dequeue().WaitAsync(TimeSpan.FromSeconds(60)));
        }

        return results;
    }

    private static async Task WaitConnectedAsync(RelayClient client, StateLog states)
    {
        var skip = states.Changes.Count;
        if (client.State != RelayConnectionState.Connected)
        {
            await states.WaitForAsync(s => s.State == RelayConnectionState.Connected, skip);
        }
    }

    private static async Task SendUntilDeliveredAsync(RelayClient client, ulong receiver, string content)
    {
        // The receiver may still be on its way back: "not online" until then. Each try is a full round trip.
        for (var attempt = 0; ; attempt++)
        {
            var result = await client.SendAsync(receiver, content).WaitAsync(TimeSpan.FromSeconds(60));
            if (result == SendResult.Delivered)
            {
                return;
            }

            Assert.True(attempt < 10_000, $"{receiver} never came back: {result}");
        }
    }

    /// <summary>
    /// What version 1 guarantees across cuts: every message came from the right sender and was sent, and the first
    /// copy of each arrives in the order sent (a resend may repeat earlier ones; a cut may lose some).
    /// </summary>
    private static (int Received, int Distinct) AssertInOrder(IReadOnlyList<RelayMessage> received, ulong sender, string tag)
    {
        var seen = new HashSet<int>();
        var last = -1;
        var fromSender = received.Where(m => m.Type == 1).ToList();
        Assert.NotEmpty(fromSender);
        foreach (var message in fromSender)
        {
            Assert.Equal(sender, message.Sender);
            var parts = message.Content!.Split(':');
            Assert.Equal(tag, parts[0]);
            if (parts[1] == "final")
            {
                continue;
            }

            var k = int.Parse(parts[1]);
            Assert.InRange(k, 0, MaxPerUser - 1);
            if (seen.Add(k))
            {
                Assert.True(k > last, $"{tag}:{k} arrived first after {tag}:{last}");
                last = k;
            }
        }

        return (fromSender.Count, seen.Count);
    }
}
