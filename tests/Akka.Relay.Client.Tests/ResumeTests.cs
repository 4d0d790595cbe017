using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// Resume against a protocol 1.1 server on a single node (docs/protocol.md section 9), each on its own SQLite store:
/// the client resumes after the last stored message it handed to the application, every stored message reaches the
/// application once and in order, a hole is reported as <see cref="RelayClient.Gap"/>, and a restarted application
/// goes on from the position its <see cref="IRelayPositionStore"/> kept.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly InboxFile _inbox = new();

    private static RelayClientOptions Resuming(IRelayPositionStore? store = null, int receiveBuffer = 1024) => new()
    {
        Resume = true,
        PositionStore = store,
        ReceiveBufferCapacity = receiveBuffer,
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(300),
    };

    public void Dispose() => _inbox.Dispose();

    [Fact]
    public async Task After_a_cut_the_client_resumes_where_the_app_is_and_every_stored_message_arrives_once_in_order()
    {
        await using var server = await _inbox.StartServerAsync();
        await using var proxy = new ChaosProxy(server.BaseUri);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using var bob = await RelayClient.ConnectAsync(proxy.Uri, b, Resuming());
        var bobStates = new StateLog();
        bobStates.Attach(bob);
        var bobReads = MessageCollector.Start(bob);

        for (var k = 0; k < 20; k++)
        {
            Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "m" + k).WaitAsync(Timeout));
        }

        await bobReads.WaitUntilAsync(m => m.Count >= 20);
        var epoch = bobReads.Snapshot()[0].Epoch;
        Assert.False(string.IsNullOrEmpty(epoch));
        Assert.Equal(new RelayPosition(epoch, 20), bob.Position);

        // Bob is cut off and cannot come back yet: what alice sends meanwhile is stored for him.
        proxy.Refusing = true;
        proxy.CutAll();
        await bobStates.WaitForAsync(s => s.State == RelayConnectionState.Reconnecting);
        var k2 = 20;
        for (; k2 < 40; k2++)
        {
            Assert.Contains((await alice.SendAsync(b, "m" + k2).WaitAsync(Timeout)).Outcome, new[] { SendOutcome.Delivered, SendOutcome.Stored });
        }

        await SendUntilStoredAsync(alice, b, () => "m" + k2++);
        proxy.Refusing = false;

        await bobReads.WaitUntilAsync(m => m.Count >= k2);
        var messages = bobReads.Snapshot();
        Assert.Equal(Enumerable.Range(0, k2).Select(k => "m" + k), messages.Select(m => m.Content));
        Assert.Equal(Enumerable.Range(1, k2).Select(k => (ulong?)(ulong)k), messages.Select(m => m.Seq));
        Assert.All(messages, m => Assert.Equal(epoch, m.Epoch));
        Assert.Equal(new RelayPosition(epoch, (ulong)k2), bob.Position);

        // Nothing more comes: one more live message is the next one.
        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "last").WaitAsync(Timeout));
        await bobReads.WaitUntilAsync(m => m.Any(x => x.Content == "last"));
        Assert.Equal(k2 + 1, bobReads.Snapshot().Count);
    }

    [Fact]
    public async Task A_message_the_app_had_not_taken_when_the_session_ended_is_handed_over_after_the_resume()
    {
        await using var server = await _inbox.StartServerAsync();
        await using var proxy = new ChaosProxy(server.BaseUri);
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);

        // Room for one message: bob's read loop holds the second while the app takes nothing.
        await using var bob = await RelayClient.ConnectAsync(proxy.Uri, b, Resuming(receiveBuffer: 1));
        var bobStates = new StateLog();
        bobStates.Attach(bob);
        for (var k = 1; k <= 5; k++)
        {
            Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "m" + k).WaitAsync(Timeout));
        }

        // The cut ends the session when bob next writes (its read loop is waiting for the app, not for the socket).
        proxy.CutAll();
        var poke = bob.SendAsync(a, "poke");
        await bobStates.WaitForAsync(s => s.State == RelayConnectionState.Reconnecting);

        var bobReads = MessageCollector.Start(bob);
        await bobReads.WaitUntilAsync(m => m.Count(x => x.Seq is not null) >= 5);
        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "m6").WaitAsync(Timeout));
        await bobReads.WaitUntilAsync(m => m.Any(x => x.Content == "m6"));
        var stored = bobReads.Snapshot();
        Assert.Equal(Enumerable.Range(1, 6).Select(k => "m" + k), stored.Select(m => m.Content));
        Assert.Equal(Enumerable.Range(1, 6).Select(k => (ulong?)(ulong)k), stored.Select(m => m.Seq));
        Assert.Equal(SendResult.Delivered, await poke.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_restarted_app_resumes_from_its_position_store_and_a_send_to_it_while_away_is_stored()
    {
        await using var server = await _inbox.StartServerAsync();
        var store = new MemoryPositionStore();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);

        string epoch;
        await using (var first = await RelayClient.ConnectAsync(server.BaseUri, b, Resuming(store)))
        {
            var reads = MessageCollector.Start(first);
            for (var k = 1; k <= 3; k++)
            {
                Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "m" + k).WaitAsync(Timeout));
            }

            await reads.WaitUntilAsync(m => m.Count >= 3);
            epoch = reads.Snapshot()[0].Epoch!;
            Assert.Equal(new RelayPosition(epoch, 3), store[b]);
        }

        // The app is gone: its inbox keeps what alice sends, and says so.
        var next = 4;
        await SendUntilStoredAsync(alice, b, () => "m" + next++);
        Assert.Equal(SendResult.Stored, await alice.SendAsync(b, "m" + next++).WaitAsync(Timeout));

        await using var restarted = await RelayClient.ConnectAsync(server.BaseUri, b, Resuming(store));
        Assert.Equal(new RelayPosition(epoch, 3), restarted.Position);
        var gaps = new List<RelayGap>();
        restarted.Gap += gaps.Add;
        var resumed = MessageCollector.Start(restarted);
        await resumed.WaitUntilAsync(m => m.Count >= next - 4);
        Assert.Equal(Enumerable.Range(4, next - 4).Select(k => "m" + k), resumed.Snapshot().Select(m => m.Content));
        Assert.Equal(Enumerable.Range(4, next - 4).Select(k => (ulong?)(ulong)k), resumed.Snapshot().Select(m => m.Seq));
        Assert.Equal(new RelayPosition(epoch, (ulong)next - 1), store[b]);
        Assert.Empty(gaps);
    }

    [Fact]
    public async Task A_hole_left_by_retention_is_reported_as_a_gap_before_the_messages_after_it()
    {
        await using var server = await _inbox.StartServerAsync(("Relay:Inbox:MaxMessages", "5"));
        var store = new MemoryPositionStore();
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using (var first = await RelayClient.ConnectAsync(server.BaseUri, b, Resuming(store)))
        {
            var reads = MessageCollector.Start(first);
            Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "m1").WaitAsync(Timeout));
            await reads.WaitUntilAsync(m => m.Count >= 1);
        }

        var epoch = store[b].Epoch!;
        var next = 2;
        await SendUntilStoredAsync(alice, b, () => "m" + next++);
        while (next <= 12)
        {
            Assert.Equal(SendResult.Stored, await alice.SendAsync(b, "m" + next++).WaitAsync(Timeout));
        }

        // The inbox keeps the newest 5 of 2..last: the ones after m1 and before them are lost.
        var last = (ulong)next - 1;
        var gaps = new List<(RelayGap Gap, int Read)>();
        await using var restarted = await RelayClient.ConnectAsync(server.BaseUri, b, Resuming(store));
        var resumed = MessageCollector.Start(restarted);
        restarted.Gap += g => gaps.Add((g, resumed.Snapshot().Count));
        await resumed.WaitUntilAsync(m => m.Count >= 5);
        Assert.Equal(new RelayGap(epoch, last - 4, last, new RelayPosition(epoch, 1)), Assert.Single(gaps).Gap);
        Assert.Equal(0, gaps[0].Read);
        Assert.Equal(Enumerable.Range((int)last - 4, 5).Select(k => (ulong?)(ulong)k), resumed.Snapshot().Select(m => m.Seq));
    }

    /// <summary>
    /// Sends until an answer is <c>stored</c>: a session just closed may still hold the receiver's inbox reader for a
    /// moment (<c>success send</c>, also stored). Every answer must be one of the two.
    /// </summary>
    private static async Task SendUntilStoredAsync(RelayClient sender, ulong receiver, Func<string> content)
    {
        for (var attempt = 0; ; attempt++)
        {
            var result = await sender.SendAsync(receiver, content()).WaitAsync(Timeout);
            Assert.Contains(result.Outcome, new[] { SendOutcome.Delivered, SendOutcome.Stored });
            if (result.Outcome == SendOutcome.Stored)
            {
                return;
            }

            Assert.True(attempt < 10_000, "the receiver's inbox never lost its reader");
        }
    }
}
