using System.Net.WebSockets;
using Akka.Actor;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests;

/// <summary>
/// The ClientActor's abuse defences, over a real loopback WebSocket pair: the credentials expiry timer
/// and the per-session rate limit; and the rate limit's own arithmetic.
/// </summary>
public sealed class SessionLimitsSpec : Akka.TestKit.Xunit2.TestKit
{
    private const ulong UserId = 7;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly ClientSettings DefaultSettings = new(MaxMessageBytes: 512, OutboundQueueCapacity: 1024, CloseTimeout: TimeSpan.FromSeconds(30));

    public SessionLimitsSpec(ITestOutputHelper output)
        : base(SessionMailbox.Definition, output: output)
    {
    }

    [Fact]
    public async Task A_session_whose_credentials_expire_is_unregistered_and_closed_with_1008_at_that_moment()
    {
        var (actor, directory, pair) = await StartSessionAsync(DefaultSettings);
        await using var _ = pair;
        var expiresAt = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3);

        actor.Tell(new ExpireSessionAt(expiresAt));

        // Still open until then: a SEND goes through.
        await pair.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"before\"}");
        await directory.ExpectMsgAsync<SendToUser>(Timeout);

        var unregister = await directory.ExpectMsgAsync<Unregister>(TimeSpan.FromSeconds(10));
        Assert.True(DateTimeOffset.UtcNow >= expiresAt, "unregistered before the expiry");
        Assert.Equal(new Unregister(UserId, actor), unregister);
        var received = await pair.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, received.CloseStatus);
        Assert.Equal("token expired", received.CloseDescription);
    }

    [Fact]
    public async Task Credentials_that_already_expired_close_the_session_at_once()
    {
        var (actor, directory, pair) = await StartSessionAsync(DefaultSettings);
        await using var _ = pair;

        actor.Tell(new ExpireSessionAt(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1)));

        await directory.ExpectMsgAsync<Unregister>(Timeout);
        var received = await pair.Client.ReceiveUntilCloseAsync(Timeout);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, received.CloseStatus);
    }

    [Fact]
    public async Task Credentials_valid_for_days_keep_the_session_open()
    {
        var (actor, directory, pair) = await StartSessionAsync(DefaultSettings);
        await using var _ = pair;

        // Far beyond what one scheduler delay holds: the wait is split, not overflowed into "now".
        actor.Tell(new ExpireSessionAt(DateTimeOffset.UtcNow + TimeSpan.FromDays(400)));

        await pair.Client.SendTextAsync("{\"type\":1,\"receiver\":2,\"content\":\"still here\"}");
        await directory.ExpectMsgAsync<SendToUser>(Timeout);
        Assert.Equal(WebSocketState.Open, pair.Client.State);
    }

    [Fact]
    public async Task Over_the_rate_a_message_is_answered_rate_limited_and_not_routed()
    {
        var settings = DefaultSettings with { RateLimit = new RateLimitSettings(MessagesPerSecond: 1, Burst: 2, MaxRejections: 100, RejectionWindow: TimeSpan.FromSeconds(10)) };
        var (_, directory, pair) = await StartSessionAsync(settings);
        await using var _ = pair;

        for (var i = 0; i < 3; i++)
        {
            await pair.Client.SendTextAsync($"{{\"type\":1,\"receiver\":2,\"content\":\"{i}\"}}");
        }

        await directory.ExpectMsgAsync<SendToUser>(Timeout);
        await directory.ExpectMsgAsync<SendToUser>(Timeout);
        Assert.Equal($"{{\"type\":2,\"sender\":0,\"receiver\":{UserId},\"content\":\"error: rate limited\"}}", await pair.Client.ReceiveTextAsync());
        await directory.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task The_rate_limit_takes_the_burst_then_refills_with_time_and_counts_rejections_in_the_window()
    {
        using var limit = new SessionRateLimit(new RateLimitSettings(MessagesPerSecond: 20, Burst: 3, MaxRejections: 3, RejectionWindow: TimeSpan.FromMinutes(1)));

        Assert.Equal(RateDecision.Accepted, limit.Take());
        Assert.Equal(RateDecision.Accepted, limit.Take());
        Assert.Equal(RateDecision.Accepted, limit.Take());
        Assert.Equal(RateDecision.Rejected, limit.Take());
        Assert.Equal(RateDecision.Rejected, limit.Take());

        // 20 a second: a token comes back within a few poll intervals.
        await AwaitConditionAsync(() => Task.FromResult(limit.Take() == RateDecision.Accepted), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));

        // Rejections so far (the two above and any while polling) are in the window: the next one closes.
        RateDecision decision;
        do
        {
            decision = limit.Take();
        }
        while (decision == RateDecision.Accepted);

        Assert.Equal(RateDecision.Exceeded, decision);
    }

    [Fact]
    public void Rejections_spread_wider_than_the_window_never_close()
    {
        using var limit = new SessionRateLimit(new RateLimitSettings(MessagesPerSecond: 1, Burst: 1, MaxRejections: 2, RejectionWindow: TimeSpan.FromMilliseconds(1)));

        Assert.Equal(RateDecision.Accepted, limit.Take());
        for (var i = 0; i < 5; i++)
        {
            // Each rejection comes more than the window after the one before it.
            var gap = System.Diagnostics.Stopwatch.StartNew();
            SpinWait.SpinUntil(() => gap.Elapsed > TimeSpan.FromMilliseconds(3));
            Assert.Equal(RateDecision.Rejected, limit.Take());
        }
    }

    private async Task<(IActorRef Actor, TestProbe Directory, WebSocketPair Pair)> StartSessionAsync(ClientSettings settings)
    {
        var directory = CreateTestProbe();
        var signals = new SessionSignals();
        var actor = Sys.ActorOf(ClientActor.GetProps(UserId, directory.Ref, settings, signals));
        await directory.ExpectMsgAsync<Register>(Timeout);
        directory.Reply(new Registered(UserId));
        await signals.Admission.WaitAsync(Timeout);
        var pair = await WebSocketPair.CreateAsync();
        actor.Tell(new AttachSocket(pair.Server));
        return (actor, directory, pair);
    }
}
