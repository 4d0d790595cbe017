using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// After a refusal that could be about several SENDs the client writes one message at a time; SENDs that wait for their
/// turn when a session ends (a cut, a resync, a dispose) are written on the next session or answered at the close,
/// never left without an answer. A scripted server puts the session end exactly where a write waits.
/// </summary>
public sealed class OneAtATimeTests
{
    private const ulong Bob = 7;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Resent_sends_waiting_their_turn_when_the_session_is_cut_are_written_on_the_next_one()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var a = Ids.Next();
        await using var alice = await RelayClient.ConnectAsync(relay.BaseUri, a, Options());
        var first = await relay.NextSessionAsync();

        // Three SENDs on the wire, then a refusal that could be about any of them: the session ends for a resync.
        var sends = Enumerable.Range(0, 3).Select(k => alice.SendAsync(Bob, "m" + k)).ToList();
        var mids = new List<string>();
        for (var k = 0; k < 3; k++)
        {
            mids.Add((await first.ReceiveAsync()).Mid);
        }

        await first.AnswerAsync(a, "error: rate limited");

        // The next session resends them one at a time: the first is written, the other two wait for its answer.
        var second = await relay.NextSessionAsync();
        Assert.Equal(mids[0], (await second.ReceiveAsync()).Mid);
        second.Abort();

        // The third session gets all three again, in order, and answers each.
        var third = await relay.NextSessionAsync();
        foreach (var mid in mids)
        {
            Assert.Equal(mid, (await third.ReceiveAsync()).Mid);
            await third.AnswerAsync(Bob, "success send");
        }

        var answers = await Task.WhenAll(sends).WaitAsync(AnswerTimeout);
        Assert.All(answers, r => Assert.Equal(SendResult.Delivered, r));
    }

    [Fact]
    public async Task A_new_send_waiting_its_turn_when_the_session_is_cut_is_written_on_the_next_one()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var a = Ids.Next();
        await using var alice = await RelayClient.ConnectAsync(relay.BaseUri, a, Options());
        var second = await OneAtATimeAsync(relay, alice, a);

        // Two SENDs at once: the first is written, the second is taken from the queue right after it and waits for
        // the first one's answer; the session is cut instead.
        var written = alice.SendAsync(Bob, "written");
        var waiting = alice.SendAsync(Bob, "waiting");
        var writtenMid = (await second.ReceiveAsync()).Mid;
        second.Abort();

        var third = await relay.NextSessionAsync();
        Assert.Equal(writtenMid, (await third.ReceiveAsync()).Mid);
        await third.AnswerAsync(Bob, "success send");
        Assert.Equal("waiting", (await third.ReceiveAsync()).Content);
        await third.AnswerAsync(Bob, "not online");

        Assert.Equal(SendResult.Delivered, await written.WaitAsync(AnswerTimeout));
        Assert.Equal(SendResult.NotOnline, await waiting.WaitAsync(AnswerTimeout));
    }

    [Fact]
    public async Task Resent_sends_waiting_their_turn_when_the_client_is_disposed_complete_with_an_error()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var a = Ids.Next();
        var alice = await RelayClient.ConnectAsync(relay.BaseUri, a, Options());
        var first = await relay.NextSessionAsync();
        var sends = Enumerable.Range(0, 3).Select(k => alice.SendAsync(Bob, "m" + k)).ToList();
        for (var k = 0; k < 3; k++)
        {
            await first.ReceiveAsync();
        }

        await first.AnswerAsync(a, "error: rate limited");
        var second = await relay.NextSessionAsync();
        await second.ReceiveAsync();

        // One resent SEND on the wire, two waiting for its answer: the close answers all three.
        await alice.DisposeAsync();

        var answers = await Task.WhenAll(sends).WaitAsync(AnswerTimeout);
        Assert.All(answers, r => Assert.Equal(SendResult.Error("the client is closed (1000 disposed)"), r));
    }

    private static RelayClientOptions Options() => new() { ReconnectDelay = TimeSpan.FromMilliseconds(20) };

    /// <summary>Brings <paramref name="client"/> into one-at-a-time mode; returns its new session, with nothing in flight.</summary>
    private static async Task<ScriptedSession> OneAtATimeAsync(ScriptedRelay relay, RelayClient client, ulong userId)
    {
        var first = await relay.NextSessionAsync();
        var sends = new[] { client.SendAsync(Bob, "one"), client.SendAsync(Bob, "two") };
        await first.ReceiveAsync();
        await first.ReceiveAsync();
        await first.AnswerAsync(userId, "error: rate limited");

        var second = await relay.NextSessionAsync();
        foreach (var _ in sends)
        {
            await second.ReceiveAsync();
            await second.AnswerAsync(Bob, "success send");
        }

        await Task.WhenAll(sends).WaitAsync(AnswerTimeout);
        return second;
    }
}
