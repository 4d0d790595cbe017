using System.Net.WebSockets;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// <c>error: rate limited</c> names no message and may overtake earlier acks: the client matches it only where no
/// doubt is possible, and reports a <c>rate limit exceeded</c> close without coming back by default.
/// </summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_refusal_with_one_message_outstanding_answers_that_send()
    {
        // One message a second after a burst of one: sends made back to back soon meet a refusal.
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1"), ("Relay:RateLimit:Burst", "1"), ("Relay:RateLimit:MaxRejections", "50"));
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);

        // Each SEND is the only message in flight when its answer comes, so a refusal can only be about it.
        var answers = new List<SendResult>();
        while (answers.Count < 50 && !answers.Any(r => r.Outcome == SendOutcome.Error))
        {
            answers.Add(await alice.SendAsync(b, "message " + answers.Count).WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(SendResult.Error("rate limited"), answers[^1]);
        Assert.All(answers.SkipLast(1), r => Assert.Equal(SendResult.Delivered, r));
        Assert.Equal(RelayConnectionState.Connected, alice.State);
    }

    [Fact]
    public async Task Refusals_among_many_sends_in_flight_end_as_answers_not_as_a_reconnect_loop()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "2"), ("Relay:RateLimit:Burst", "5"), ("Relay:RateLimit:MaxRejections", "1000"));
        var (a, b) = (Ids.Next(), Ids.Next());
        var states = new StateLog();
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a, new RelayClientOptions { ReconnectDelay = TimeSpan.FromMilliseconds(20) });
        states.Attach(alice);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);
        var bobReads = MessageCollector.Start(bob);

        // Twenty at once against a burst of five: refusals come while many SENDs wait for their acks.
        var sends = Enumerable.Range(0, 20).Select(k => alice.SendAsync(b, "burst " + k)).ToList();
        var answers = await AnswersAsync(sends, TimeSpan.FromSeconds(60), states);

        Assert.All(answers, r => Assert.True(r == SendResult.Delivered || r == SendResult.Error("rate limited"), $"unexpected {r}"));
        Assert.Contains(SendResult.Error("rate limited"), answers);
        Assert.Contains(SendResult.Delivered, answers);

        // Every SEND answered "success send" did reach bob.
        var delivered = answers.Select((r, k) => (r, k)).Where(x => x.r == SendResult.Delivered).Select(x => "burst " + x.k).ToList();
        await bobReads.WaitUntilAsync(m => delivered.All(d => m.Any(x => x.Content == d)));

        // At most the one session ended to resend without doubt; the client is on a session now.
        Assert.True(states.Changes.Count(c => c.State == RelayConnectionState.Reconnecting) <= 1, string.Join(", ", states.Changes));
        Assert.Equal(RelayConnectionState.Connected, alice.State);
    }

    /// <summary>Every SEND's answer; on a timeout, says which SENDs have none and how the connection went.</summary>
    private static async Task<SendResult[]> AnswersAsync(IReadOnlyList<Task<SendResult>> sends, TimeSpan timeout, StateLog states)
    {
        try
        {
            return await Task.WhenAll(sends).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            var open = sends.Select((t, k) => (t, k)).Where(x => !x.t.IsCompleted).Select(x => x.k);
            Assert.Fail($"no answer within {timeout} for SENDs [{string.Join(", ", open)}] of {sends.Count}; states: {string.Join(", ", states.Changes)}");
            throw;
        }
    }

    [Fact]
    public async Task A_rate_limit_exceeded_close_is_reported_and_ends_the_client_by_default()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1"), ("Relay:RateLimit:Burst", "1"), ("Relay:RateLimit:MaxRejections", "3"));
        var (a, b) = (Ids.Next(), Ids.Next());
        var states = new StateLog();
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        states.Attach(alice);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b);

        // Sent one at a time: each refusal answers its own SEND, until the server has had enough.
        for (var k = 0; k < 50 && alice.State == RelayConnectionState.Connected; k++)
        {
            await alice.SendAsync(b, "too fast " + k).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var closed = await states.WaitForAsync(s => s.State == RelayConnectionState.Closed);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed.CloseStatus);
        Assert.Equal("rate limit exceeded", closed.CloseReason);
        Assert.DoesNotContain(states.Changes, c => c.State == RelayConnectionState.Reconnecting);
    }
}
