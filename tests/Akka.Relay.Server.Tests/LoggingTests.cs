using System.Diagnostics;
using System.Globalization;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Server.WebSockets;
using Akka.Relay.Testing.Server;
using Microsoft.Extensions.Logging;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// Logs: ASP.NET's and Akka's lines go through one <c>ILogger</c> pipeline; every line about a session carries
/// its session id and user id as structured values; no line carries message content.
/// </summary>
public sealed class LoggingTests
{
    private static async Task<List<CapturedLine>> LinesUntilAsync(CapturingLoggerProvider sink, Func<CapturedLine, bool> wanted, string what)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Probe.PollInterval);
        while (true)
        {
            var lines = sink.Lines.ToList();
            if (lines.Any(wanted))
            {
                return lines;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"no {what} within 15 s; captured:\n{string.Join('\n', lines)}");
            await timer.WaitForNextTickAsync();
        }
    }

    private static bool IsEndpointLine(CapturedLine line) => line.Category.StartsWith("Akka.Relay.Server", StringComparison.Ordinal);

    // Actors' lines come through Akka's log stream, with the path of the actor that wrote them.
    private static bool IsSessionActorLine(CapturedLine line) =>
        line.Category.StartsWith("Akka.", StringComparison.Ordinal) && line.ValueOf("ActorPath") is { } path
        && path.Contains("/user/", StringComparison.Ordinal) && !path.EndsWith("/user/hub", StringComparison.Ordinal);

    [Fact]
    public async Task Every_line_about_a_session_carries_its_session_and_user_id_and_never_the_content()
    {
        var sink = new CapturingLoggerProvider();
        // Debug for Akka's categories: akka.loglevel follows the Logging configuration, so the session actor's
        // Debug lines (which pass through Akka's log stream) reach ILogger too.
        await using var server = await RelayServer.StartAsync(sink, ("Logging:LogLevel:Akka", "Debug"), ("Relay:OutboundQueueCapacity", "8"), ("Relay:MaxMessageBytes", "16384"));
        var (a, b, s) = (Ids.Next(), Ids.Next(), Ids.Next());
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        var aText = a.ToString(CultureInfo.InvariantCulture);

        await using (var alice = await server.ConnectAsync(a))
        await using (var bob = await server.ConnectAsync(b))
        {
            await Probe.RoundTripAsync(alice, a, bob, b, secret);
            await alice.SendTextAsync($$"""{"type":1,"receiver":0,"content":"{{secret}}"}""");
            Wire.AssertErrorReply(await alice.ReceiveTextAsync(), a);
            await alice.CloseAsync();
        }

        // A slow consumer (queue of 8, never reads) is closed with a Warning from its session actor.
        var stalledId = Ids.Next();
        await using (var sender = await server.ConnectAsync(s))
        await using (var stalled = await server.ConnectStalledAsync(stalledId))
        {
            var offline = false;
            for (var round = 0; !offline; round++)
            {
                Assert.True(round < 2000, "the stalled client was never closed");
                for (var k = 0; k < 4; k++)
                {
                    await sender.SendTextAsync($$"""{"type":1,"receiver":{{stalledId}},"content":"{{secret}} {{new string('p', 8000)}}"}""");
                }

                for (var k = 0; k < 4; k++)
                {
                    offline |= await sender.ReceiveTextAsync() == Wire.NotOnline(stalledId);
                }
            }
        }

        await LinesUntilAsync(sink, l => l.Message.Contains("slow consumer", StringComparison.Ordinal), "slow consumer warning");
        var lines = await LinesUntilAsync(
            sink,
            l => IsSessionActorLine(l) && l.ValueOf("UserId") == aText && l.Message.Contains("ended", StringComparison.Ordinal),
            "line from alice's session actor about its end");

        // Alice's session: opened and closed by the endpoint, ended by its actor; all name the same session.
        var about = lines.Where(l => l.ValueOf("UserId") == aText || l.Mentions("user " + aText)).ToList();
        Assert.Contains(about, l => l.Category.EndsWith("RelayWebSocketEndpoint", StringComparison.Ordinal) && l.Message.Contains("opened", StringComparison.Ordinal));
        Assert.Contains(about, l => l.Category.EndsWith("RelayWebSocketEndpoint", StringComparison.Ordinal) && l.Message.Contains("closed", StringComparison.Ordinal));
        Assert.Contains(about, IsSessionActorLine);
        var sessionIds = about.Select(l => l.ValueOf("SessionId")).Distinct().ToList();
        var sessionId = Assert.Single(sessionIds);
        Assert.False(string.IsNullOrEmpty(sessionId), "a line about alice's session without a SessionId:\n" + string.Join('\n', about));
        // Every line the relay writes about the session (the endpoint's, and its actor's through Akka) names both.
        // A session actor is named after its session id.
        var ofTheSession = lines.Where(l =>
            (IsEndpointLine(l) && (l.Mentions(sessionId!) || l.Mentions("user " + aText)))
            || l.ValueOf("ActorPath")?.EndsWith("/user/" + sessionId, StringComparison.Ordinal) == true).ToList();
        Assert.True(ofTheSession.Count >= 3, "fewer than three lines about alice's session:\n" + string.Join('\n', ofTheSession));
        foreach (var line in ofTheSession)
        {
            Assert.True(line.ValueOf("SessionId") == sessionId && line.ValueOf("UserId") == aText, $"a line about the session without both ids: {line}");
        }

        // The slow consumer's warning names its session and user too.
        var stalledText = stalledId.ToString(CultureInfo.InvariantCulture);
        var warning = Assert.Single(lines, l => l.Level == LogLevel.Warning && l.Message.Contains("slow consumer", StringComparison.Ordinal));
        Assert.Equal(stalledText, warning.ValueOf("UserId"));
        Assert.False(string.IsNullOrEmpty(warning.ValueOf("SessionId")), $"no SessionId on {warning}");
        Assert.Contains(warning.ValueOf("SessionId")!, warning.Message, StringComparison.Ordinal);

        // The content of what the clients sent appears on no line at any level.
        Assert.DoesNotContain(lines, l => l.Mentions(secret));
    }
}
