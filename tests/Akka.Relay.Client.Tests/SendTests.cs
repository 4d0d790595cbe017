using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>SendAsync completes with the answer to that very SEND; BroadcastAsync reaches every session.</summary>
public sealed class SendTests
{
    [Fact]
    public async Task Interleaved_sends_from_many_threads_each_get_their_own_ack()
    {
        await using var server = await RelayServer.StartAsync();
        var (a, b, offline) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);
        var bobReads = MessageCollector.Start(bob);
        const int threads = 8, perThread = 150;

        // Each thread alternates between an online and an offline receiver: a misplaced ack would give the wrong answer.
        var results = await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            var answers = new List<(ulong Receiver, SendResult Result)>();
            for (var k = 0; k < perThread; k++)
            {
                var receiver = (k + t) % 2 == 0 ? b : offline;
                answers.Add((receiver, await alice.SendAsync(receiver, $"{t}:{k}").WaitAsync(TimeSpan.FromSeconds(60))));
            }

            return answers;
        })));

        foreach (var (receiver, result) in results.SelectMany(r => r))
        {
            Assert.Equal(receiver == b ? SendResult.Delivered : SendResult.NotOnline, result);
        }

        var expected = threads * perThread / 2;
        await bobReads.WaitUntilAsync(m => m.Count >= expected);
        var received = bobReads.Snapshot();
        Assert.Equal(expected, received.Count);
        Assert.All(received, m => Assert.Equal(a, m.Sender));
        foreach (var perSender in received.GroupBy(m => m.Content!.Split(':')[0]))
        {
            var order = perSender.Select(m => int.Parse(m.Content!.Split(':')[1])).ToList();
            Assert.Equal(order.OrderBy(k => k), order);
        }
    }

    [Fact]
    public async Task A_send_the_server_would_refuse_is_answered_with_an_error_and_the_session_carries_on()
    {
        await using var server = await RelayServer.StartAsync();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);

        var toServer = await alice.SendAsync(0, "hi");
        Assert.Equal(SendOutcome.Error, toServer.Outcome);
        Assert.Contains("receiver 0", toServer.Reason);

        var tooBig = await alice.SendAsync(b, new string('x', 600));
        Assert.Equal(SendOutcome.Error, tooBig.Outcome);
        Assert.Contains("too big", tooBig.Reason);

        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "still here"));
        Assert.Equal(RelayConnectionState.Connected, alice.State);
    }

    [Fact]
    public async Task A_broadcast_reaches_every_session_the_senders_own_included()
    {
        await using var server = await RelayServer.StartAsync();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);
        var aliceReads = MessageCollector.Start(alice);
        var bobReads = MessageCollector.Start(bob);

        await alice.BroadcastAsync("hello all");

        foreach (var reads in new[] { aliceReads, bobReads })
        {
            await reads.WaitUntilAsync(m => m.Any(x => x.Content == "hello all"));
            var message = reads.Snapshot().Single(x => x.Content == "hello all");
            Assert.Equal(3, message.Type);
            Assert.Equal(a, message.Sender);
        }
    }
}
