using System.Net.WebSockets;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// With resume, a session counts as open only once its resume header has arrived: only from then on does the server
/// keep the user's messages (docs/protocol.md section 9.2). A scripted server holds the header back, closes the first
/// session before it, or refuses for good, to show what <see cref="RelayClient.ConnectAsync"/> does in each case.
/// </summary>
public sealed class ResumeHeaderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static RelayClientOptions Resuming() => new()
    {
        Resume = true,
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task ConnectAsync_returns_only_after_the_resume_header_and_a_session_closed_before_it_is_a_failed_attempt()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var id = Ids.Next();
        var connecting = RelayClient.ConnectAsync(relay.BaseUri, id, Resuming());

        // The first session is upgraded, then closed as the relay closes it when the inbox store is down.
        var first = await relay.NextSessionAsync();
        await first.CloseAsync(WebSocketCloseStatus.InternalServerError, "inbox unavailable; resume");

        // The client tried again: nothing has returned yet, since no session brought a header.
        var second = await relay.NextSessionAsync();
        Assert.False(connecting.IsCompleted, "ConnectAsync returned before any session had its resume header");

        await second.SendTextAsync($$"""{"type":2,"sender":0,"receiver":{{id}},"content":"resume","epoch":"e1","first":1,"last":1,"gap":false}""");
        await second.SendTextAsync($$"""{"type":3,"sender":9,"receiver":{{id}},"content":"stored one","seq":1}""");
        await using var client = await connecting.WaitAsync(Timeout);
        var states = new StateLog();
        states.Attach(client);
        Assert.Equal(RelayConnectionState.Connected, client.State);

        // The header was handled before the first message: the message carries its epoch.
        var reads = MessageCollector.Start(client);
        await reads.WaitUntilAsync(m => m.Count >= 1, Timeout);
        var message = Assert.Single(reads.Snapshot());
        Assert.Equal(("stored one", (ulong?)1, "e1"), (message.Content, message.Seq, message.Epoch));
        Assert.DoesNotContain(states.Changes, c => c.State == RelayConnectionState.Reconnecting);
    }

    [Fact]
    public async Task A_close_before_the_header_that_a_new_session_cannot_fix_ends_the_connect()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var connecting = RelayClient.ConnectAsync(relay.BaseUri, Ids.Next(), Resuming());
        var first = await relay.NextSessionAsync();
        await first.CloseAsync(WebSocketCloseStatus.PolicyViolation, "too many sessions");

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => connecting.WaitAsync(Timeout));
        Assert.Contains("too many sessions", refused.Message);
    }
}
