using System.Globalization;
using System.Net.WebSockets;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §6: with a per-session rate limit, messages over the rate are answered
/// <c>error: rate limited</c> and relayed to nobody; a session that keeps exceeding it is closed with 1008.
/// </summary>
public sealed class RateLimitTests
{
    private static string RateLimited(ulong ownId) =>
        $$"""{"type":2,"sender":0,"receiver":{{ownId.ToString(CultureInfo.InvariantCulture)}},"content":"error: rate limited"}""";

    private static string Numbered(ulong receiver, int n) => Wire.Send(receiver, "n" + n.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The receiver gets exactly <paramref name="count"/> of the numbered messages, in increasing order, the first
    /// <paramref name="mustStartWith"/> being n0, n1, ... (error replies may overtake acks, so replies alone cannot say which).
    /// </summary>
    private static async Task AssertDeliveredInOrderAsync(TestClient receiver, ulong senderId, ulong receiverId, int count, int mustStartWith)
    {
        var last = -1;
        for (var i = 0; i < count; i++)
        {
            var json = await receiver.ReceiveJsonAsync();
            var n = int.Parse(json.GetProperty("content").GetString()![1..], CultureInfo.InvariantCulture);
            Assert.True(n > last, $"message n{n} after n{last}");
            Assert.True(i >= mustStartWith || n == i, $"message {i} was n{n}");
            Wire.AssertStamped(Numbered(receiverId, n), json.GetRawText(), senderId);
            last = n;
        }
    }

    [Fact]
    public async Task Messages_over_the_burst_are_answered_rate_limited_relayed_to_nobody_and_the_session_stays()
    {
        // One message a second and a burst of 5: a quick run of 20 gets (about) 5 through.
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1"),
            ("Relay:RateLimit:Burst", "5"),
            ("Relay:RateLimit:MaxRejections", "1000"));
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(s);
        await using var receiver = await server.ConnectAsync(r);

        const int count = 20;
        for (var i = 0; i < count; i++)
        {
            await sender.SendTextAsync(Numbered(r, i));
        }

        // Each message is answered exactly once; the accepted ones are the first ones, in order.
        var accepted = 0;
        var limited = 0;
        for (var i = 0; i < count; i++)
        {
            var reply = await sender.ReceiveTextAsync();
            if (reply == Wire.SuccessSend(r))
            {
                accepted++;
            }
            else
            {
                Assert.Equal(RateLimited(s), reply);
                limited++;
            }
        }

        // The bucket was full at the start, so the first five got through; a slow machine may have
        // refilled a token or two while the run was being sent.
        Assert.InRange(accepted, 5, 8);
        Assert.Equal(count, accepted + limited);
        await AssertDeliveredInOrderAsync(receiver, s, r, accepted, mustStartWith: 5);

        // The bucket refills at one a second: poll until a message gets through again, and nothing
        // rate-limited was delivered meanwhile (the next thing the receiver sees is that message).
        var after = 0;
        while (true)
        {
            await sender.SendTextAsync(Wire.Send(r, "again " + after));
            var reply = await sender.ReceiveTextAsync();
            if (reply == Wire.SuccessSend(r))
            {
                break;
            }

            Assert.Equal(RateLimited(s), reply);
            Assert.True(++after < 100, "the bucket never refilled");
            await Task.Delay(Probe.PollInterval * 4);
        }

        Wire.AssertStamped(Wire.Send(r, "again " + after), await receiver.ReceiveTextAsync(), s);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, sender.Socket.State);
    }

    [Fact]
    public async Task A_session_that_keeps_exceeding_the_rate_is_closed_with_1008_and_others_are_unaffected()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1"),
            ("Relay:RateLimit:Burst", "3"),
            ("Relay:RateLimit:MaxRejections", "10"),
            ("Relay:RateLimit:RejectionWindow", "00:01:00"));
        var (f, r, a, b) = (Ids.Next(), Ids.Next(), Ids.Next(), Ids.Next());
        await using var flooder = await server.ConnectAsync(f);
        await using var receiver = await server.ConnectAsync(r);
        await using var alice = await server.ConnectAsync(a);
        await using var bob = await server.ConnectAsync(b);

        for (var i = 0; i < 100; i++)
        {
            try
            {
                await flooder.SendTextAsync(Numbered(r, i));
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
            {
                break; // the server closed it already
            }
        }

        // A few acks, then rate-limited errors, then the 1008 close: never more than the window allows.
        var acks = 0;
        var errors = 0;
        while (true)
        {
            var received = await flooder.ReceiveAsync();
            if (received.IsEnd)
            {
                Assert.False(received.Aborted, $"expected a close frame, got {received}");
                Assert.Equal(WebSocketCloseStatus.PolicyViolation, received.CloseStatus);
                Assert.Equal("rate limit exceeded", received.CloseDescription);
                break;
            }

            if (received.Text == Wire.SuccessSend(r))
            {
                acks++;
            }
            else
            {
                Assert.Equal(RateLimited(f), received.Text);
                errors++;
            }
        }

        // Acks of accepted SENDs that come back after the close began are not written; the errors,
        // queued before it, are.
        Assert.Equal(9, errors); // the 10th rejection in the window closes instead of answering
        await alice.SendTextAsync(Wire.Send(r, "marker"));
        var delivered = 0;
        var last = -1;
        while (true)
        {
            var json = await receiver.ReceiveJsonAsync();
            var content = json.GetProperty("content").GetString()!;
            if (content == "marker")
            {
                break;
            }

            var n = int.Parse(content[1..], CultureInfo.InvariantCulture);
            Assert.True(n > last && (delivered >= 3 || n == delivered), $"message {delivered} was n{n} (after n{last})");
            Wire.AssertStamped(Numbered(r, n), json.GetRawText(), f);
            last = n;
            delivered++;
        }

        Assert.InRange(delivered, 3, 6);
        Assert.InRange(acks, 0, delivered);
        Assert.Equal(Wire.SuccessSend(r), await alice.ReceiveTextAsync());
        await Probe.AssertOfflineAsync(receiver, f);
        await Probe.RoundTripAsync(alice, a, bob, b, "unaffected");
        await Probe.RoundTripAsync(receiver, r, alice, a, "and the receiver too");
        Assert.Empty(server.Logs.Failures);
    }

    [Fact]
    public async Task Bad_messages_count_against_the_rate_too()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1"),
            ("Relay:RateLimit:Burst", "2"),
            ("Relay:RateLimit:MaxRejections", "1000"));
        var s = Ids.Next();
        await using var sender = await server.ConnectAsync(s);

        await sender.SendTextAsync("not json");
        await sender.SendTextAsync("{\"type\":2}");
        await sender.SendTextAsync("not json either");
        Assert.Equal("invalid JSON", Wire.AssertErrorReply(await sender.ReceiveTextAsync(), s));
        Assert.StartsWith("type 2", Wire.AssertErrorReply(await sender.ReceiveTextAsync(), s), StringComparison.Ordinal);
        Assert.Equal(RateLimited(s), await sender.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("Relay:RateLimit:MessagesPerSecond", "-1")]
    [InlineData("Relay:RateLimit:Burst", "0")]
    [InlineData("Relay:RateLimit:MaxRejections", "0")]
    [InlineData("Relay:RateLimit:RejectionWindow", "00:00:00")]
    public async Task A_bad_rate_limit_setting_stops_the_server_at_start(string key, string value)
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RelayServer.StartAsync((key, value)));
        Assert.Contains(key, failure.Message, StringComparison.Ordinal);
    }
}
