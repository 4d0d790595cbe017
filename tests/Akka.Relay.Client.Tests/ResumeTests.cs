using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// Resume against a server of this build (protocol version 1, docs/protocol.md section 9.0): the query is ignored,
/// no message carries <c>seq</c>, and the client works as a version 1 client, its saved position untouched.
/// </summary>
public sealed class ResumeTests
{
    /// <summary>An in-memory position store that records its calls.</summary>
    private sealed class RecordingStore(RelayPosition start) : IRelayPositionStore
    {
        public int Loads;
        public int Saves;

        public ValueTask<RelayPosition> LoadAsync(ulong userId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Loads);
            return ValueTask.FromResult(start);
        }

        public ValueTask SaveAsync(ulong userId, RelayPosition position, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Saves);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task With_a_version_1_server_resume_is_ignored_and_nothing_is_numbered()
    {
        await using var server = await RelayServer.StartAsync();
        var (a, b) = (Ids.Next(), Ids.Next());
        var store = new RecordingStore(new RelayPosition("e1", 41));
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b, new RelayClientOptions { Resume = true, PositionStore = store });
        var bobReads = MessageCollector.Start(bob);

        Assert.Equal(1, store.Loads);
        Assert.Equal(new RelayPosition("e1", 41), bob.Position);
        for (var k = 0; k < 20; k++)
        {
            Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "m" + k));
        }

        await bobReads.WaitUntilAsync(m => m.Count >= 20);
        Assert.Equal(Enumerable.Range(0, 20).Select(k => "m" + k), bobReads.Snapshot().Select(m => m.Content));
        Assert.All(bobReads.Snapshot(), m => Assert.Null(m.Seq));
        Assert.Equal(0, store.Saves);
        Assert.Equal(new RelayPosition("e1", 41), bob.Position);
    }
}
