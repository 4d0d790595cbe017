using System.Net;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// A token in the <c>access_token</c> query parameter (how browsers authenticate) is written to no log line, even with
/// ASP.NET Core's request logging on: the URL is logged with the parameter's value redacted.
/// </summary>
public sealed class TokenLoggingTests
{
    [Theory]
    [InlineData("Information")]
    [InlineData("Debug")]
    public async Task The_access_token_query_parameter_appears_in_no_captured_line(string level)
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await RelayServer.StartAsync(
            sink,
            ("Relay:Auth:SigningKey", TestTokens.Key),
            ("Logging:LogLevel:Default", level),
            ("Logging:LogLevel:Microsoft.AspNetCore", level),
            ("Logging:LogLevel:Akka", level));
        var (a, b) = (Ids.Next(), Ids.Next());
        var tokens = new List<string> { TestTokens.For(a), TestTokens.For(b) };

        // Two sessions opened with query tokens talk and close.
        await using (var alice = await server.ConnectWithQueryTokenAsync(a, tokens[0]))
        await using (var bob = await server.ConnectWithQueryTokenAsync(b, tokens[1]))
        {
            await Probe.RoundTripAsync(alice, a, bob, b);
            await alice.CloseAsync();
            await bob.CloseAsync();
        }

        // Refused ones: a token for another user, and a token that is no JWT at all, in the query.
        var forOther = TestTokens.For(b + 1);
        var garbage = "not-a-jwt-" + Guid.NewGuid().ToString("N");
        tokens.Add(forOther);
        tokens.Add(garbage);
        foreach (var token in new[] { forOther, garbage })
        {
            var refused = await server.RefusedUpgradeAsync($"ws/{b}?x=1&access_token={token}&y=2", _ => { });
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        }

        // A plain HTTP request with the parameter (not a handshake) is logged too.
        using (var http = server.CreateHttpClient())
        {
            var plain = "plain-" + Guid.NewGuid().ToString("N");
            tokens.Add(plain);
            using var response = await http.GetAsync($"healthz?access_token={plain}");
        }

        // The request lines were logged (the test sees what a log would), with the value redacted.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var timer = new PeriodicTimer(Probe.PollInterval))
        {
            while (sink.Lines.Count(l => l.Message.Contains("Request finished", StringComparison.Ordinal)) < 5)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"fewer than 5 request lines within 30 s:\n{string.Join('\n', sink.Lines)}");
                await timer.WaitForNextTickAsync();
            }
        }

        var lines = sink.Lines;
        Assert.Contains(lines, l => l.Message.Contains("Request starting", StringComparison.Ordinal) && l.Message.Contains("access_token=", StringComparison.Ordinal));
        foreach (var token in tokens)
        {
            var leaks = lines.Where(l => l.Mentions(token)).ToList();
            Assert.True(leaks.Count == 0, $"the token was logged:\n{string.Join('\n', leaks)}");
        }
    }
}
