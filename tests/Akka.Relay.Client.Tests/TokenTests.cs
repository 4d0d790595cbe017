using System.Net;
using System.Net.WebSockets;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>With authentication on, every handshake asks the token provider: a 401 or an expired token leads to a fresh one, never to a loop.</summary>
public sealed class TokenTests
{
    private static Task<RelayServer> StartAsync() =>
        RelayServer.StartAsync(("Relay:Auth:SigningKey", TestTokens.Key), ("Relay:Auth:ClockSkew", "00:00:00"));

    /// <summary>Hands out the given tokens in turn (the last one from then on) and counts the calls.</summary>
    private sealed class Tokens(params Func<string>[] tokens)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<string?> NextAsync(CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            return ValueTask.FromResult<string?>(tokens[Math.Min(call, tokens.Length) - 1]());
        }
    }

    [Fact]
    public async Task A_401_at_the_handshake_asks_for_a_fresh_token_and_connects_with_it()
    {
        await using var server = await StartAsync();
        var (a, b) = (Ids.Next(), Ids.Next());
        var tokens = new Tokens(() => "not-a-token", () => TestTokens.For(a));

        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a, new RelayClientOptions { TokenProvider = tokens.NextAsync });
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b, new RelayClientOptions { TokenProvider = _ => ValueTask.FromResult<string?>(TestTokens.For(b)) });

        Assert.Equal(2, tokens.Calls);
        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "with the second token"));
    }

    [Fact]
    public async Task A_token_that_stays_refused_ends_after_the_bounded_attempts()
    {
        await using var server = await StartAsync();
        var u = Ids.Next();
        var tokens = new Tokens(() => TestTokens.For(u + 1)); // Valid, but for another user: 401 every time.

        var refused = await Assert.ThrowsAsync<RelayHandshakeException>(() =>
            RelayClient.ConnectAsync(server.BaseUri, u, new RelayClientOptions { TokenProvider = tokens.NextAsync, MaxAuthAttempts = 3 }));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal(3, tokens.Calls);
    }

    [Fact]
    public async Task A_1008_token_expired_leads_to_a_fresh_token_and_a_new_session()
    {
        await using var server = await StartAsync();
        var (a, b) = (Ids.Next(), Ids.Next());
        var tokens = new Tokens(() => TestTokens.For(a, TimeSpan.FromSeconds(3)), () => TestTokens.For(a));
        var states = new StateLog();
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a, new RelayClientOptions
        {
            TokenProvider = tokens.NextAsync,
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
        });
        states.Attach(alice);
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b, new RelayClientOptions { TokenProvider = _ => ValueTask.FromResult<string?>(TestTokens.For(b)) });

        var expired = await states.WaitForAsync(s => s.State == RelayConnectionState.Reconnecting);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, expired.CloseStatus);
        Assert.Equal("token expired", expired.CloseReason);
        await states.WaitForAsync(s => s.State == RelayConnectionState.Connected);

        Assert.Equal(2, tokens.Calls);
        Assert.Equal(SendResult.Delivered, await alice.SendAsync(b, "with the fresh token"));
    }
}
