using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Relay.Browser.Tests.Infrastructure;
using Akka.Relay.Testing.Server;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Akka.Relay.Browser.Tests;

/// <summary>
/// The chat page with resume (protocol 1.1 on a single node): a message to a user who is away is answered
/// <c>stored</c> and shown to them, marked replayed, when they come back, whether they open the page later or
/// the page reconnects by itself after a server restart.
/// </summary>
public sealed class ChatPageResumeBrowserTests : IClassFixture<ChromiumFixture>, IDisposable
{
    // A reconnect waits out the client's backoff (up to 30 s between attempts): generous, never a fixed sleep.
    private static readonly LocatorAssertionsToHaveTextOptions LongText = new() { Timeout = 90_000 };
    private static readonly LocatorAssertionsToHaveAttributeOptions LongAttribute = new() { Timeout = 90_000 };

    private readonly ChromiumFixture _chromium;
    private readonly InboxDirectory _inbox = new();

    public ChatPageResumeBrowserTests(ChromiumFixture chromium)
    {
        _chromium = chromium;
    }

    public void Dispose() => _inbox.Dispose();

    [Fact]
    public async Task A_message_to_an_offline_user_is_stored_then_replayed_when_they_connect_and_not_again_after_a_reload()
    {
        await using var server = await _inbox.StartServerAsync();
        var (alice, bob) = (Ids.Next(), Ids.Next());
        var a = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        var b = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);

        // Bob's page opts in once (so he has an inbox), then he leaves.
        await b.ConnectAsync(bob);
        await Expect(b.Status).ToHaveTextAsync($"open as user {bob}");
        await b.Page.GetByTestId("disconnect").ClickAsync();
        await Expect(b.Status).ToContainTextAsync("closed: 1000 normal closure");
        await AwaitOfflineWithInboxAsync(server, bob);

        // Alice writes to him while he is away: the page shows the "stored" answer, in its own kind.
        await a.ConnectAsync(alice);
        const string note = "call me when you are back <3";
        await a.SendAsync(bob, note);
        var stored = a.Entries("stored");
        await Expect(stored).ToHaveCountAsync(1);
        await Expect(stored).ToHaveAttributeAsync("data-receiver", bob.ToString());
        await Expect(stored).ToContainTextAsync("stored");
        await Expect(a.Entries("ack")).ToHaveCountAsync(0);

        // Bob connects again: the header says one was replayed, and the message shows with the replayed tag.
        await b.ConnectAsync(bob);
        await Expect(b.Status).ToHaveTextAsync($"resumed as user {bob}: 1 replayed");
        await Expect(b.Status).ToHaveAttributeAsync("data-replayed", "1");
        var replayed = b.Entry("message", note);
        await Expect(replayed).ToHaveCountAsync(1);
        await Expect(replayed).ToHaveAttributeAsync("data-sender", alice.ToString());
        await Expect(replayed).ToHaveAttributeAsync("data-replayed", "true");
        await Expect(replayed).ToHaveAttributeAsync("data-seq", "1");
        await Expect(replayed.GetByTestId("entry-tag")).ToHaveTextAsync("replayed");

        // A live message after the replay is not marked replayed.
        await a.SendAsync(bob, "welcome back");
        var live = b.Entry("message", "welcome back");
        await Expect(live).ToHaveAttributeAsync("data-replayed", "false");
        await Expect(live.GetByTestId("entry-tag")).ToHaveCountAsync(0);
        await Expect(a.Entries("ack")).ToHaveCountAsync(1);
        await a.Page.ScreenshotAsync(new PageScreenshotOptions { Path = ChatPageBrowserTests.ScreenshotPath("chat-page-stored.png") });

        // The page kept Bob's position in localStorage: after a reload nothing is replayed twice.
        await b.Page.ReloadAsync();
        await b.ConnectAsync(bob);
        await Expect(b.Status).ToHaveTextAsync($"open as user {bob}");
        await Expect(b.Status).ToHaveAttributeAsync("data-replayed", "0");
        await a.SendAsync(bob, "after the reload");
        await Expect(b.Entry("message", "after the reload")).ToHaveCountAsync(1);
        await Expect(b.Entries("message")).ToHaveCountAsync(1);

        Assert.Empty(a.Problems);
        Assert.Empty(b.Problems);
    }

    [Fact]
    public async Task After_a_server_restart_the_page_reconnects_by_itself_and_shows_what_was_stored_while_it_was_away()
    {
        var first = await _inbox.StartServerAsync(("Relay:DrainSpread", "00:00:00"));
        var port = first.BaseUri.Port;
        var (alice, bob) = (Ids.Next(), Ids.Next());
        var b = await ChatPageDriver.OpenAsync(_chromium, first.BaseUri);
        await b.ConnectAsync(bob);
        await using (var early = await first.ConnectAsync(alice))
        {
            await early.SendTextAsync(Wire.Send(bob, "before the restart"));
            Assert.Equal(Wire.SuccessSend(bob), await early.ReceiveTextAsync());
        }

        await Expect(b.Entry("message", "before the restart")).ToHaveAttributeAsync("data-replayed", "false");

        // The server stops: the page's session ends with 1001 and the page starts reconnecting.
        await first.DisposeAsync();
        await Expect(b.Status).ToHaveAttributeAsync("data-state", "reconnecting");
        await Expect(b.Status).ToHaveTextAsync(new Regex($"^reconnecting as user {bob}, attempt [0-9]+ \\(lost: 1001 server going away"), LongText);
        await Expect(b.Entries("info").Filter(new() { HasText = "1001 server going away" })).ToHaveCountAsync(1);

        // The browser goes offline so the new server gets the message while the page is surely still away.
        await b.Page.Context.SetOfflineAsync(true);
        await using var second = await _inbox.StartServerAsync(("urls", $"http://127.0.0.1:{port}"));
        Assert.Equal(port, second.BaseUri.Port);
        // Alice opts in too (so a message to her is stored once she has left).
        var aliceResume = new UriBuilder(second.WebSocketUri(alice.ToString())) { Query = "resume=0" }.Uri;
        await using (var sender = await TestClient.ConnectAsync(aliceResume, autoRead: true))
        {
            Assert.Equal("resume", (await sender.ReceiveJsonAsync()).GetProperty("content").GetString());
            await sender.SendTextAsync(Wire.Send(bob, "sent while you were away"));
            Assert.Equal($$"""{"type":2,"sender":0,"receiver":{{bob}},"content":"stored"}""", await sender.ReceiveTextAsync());
        }

        await Expect(b.Status).ToHaveAttributeAsync("data-state", "reconnecting");

        // Back online: the page resumes on its own, with one replayed message and nothing shown twice.
        await b.Page.Context.SetOfflineAsync(false);
        await Expect(b.Status).ToHaveTextAsync($"resumed as user {bob}: 1 replayed", LongText);
        await Expect(b.Status).ToHaveAttributeAsync("data-state", "open", LongAttribute);
        var away = b.Entry("message", "sent while you were away");
        await Expect(away).ToHaveCountAsync(1);
        await Expect(away).ToHaveAttributeAsync("data-sender", alice.ToString());
        await Expect(away).ToHaveAttributeAsync("data-replayed", "true");
        await Expect(away).ToHaveAttributeAsync("data-seq", "2");
        await Expect(b.Entry("message", "before the restart")).ToHaveCountAsync(1);
        await Expect(b.Entries("info").Filter(new() { HasText = "1 replayed" })).ToHaveCountAsync(1);
        await Expect(b.Entries("gap")).ToHaveCountAsync(0);

        // The resumed session is live again, and sends from the page still work: Alice has left, so it is stored.
        await AwaitOfflineWithInboxAsync(second, alice);
        await b.SendAsync(alice, "I am back");
        await Expect(b.Entries("stored")).ToHaveAttributeAsync("data-receiver", alice.ToString());
        await Expect(b.Entries("not-online")).ToHaveCountAsync(0);
        // docs/chat-page.png is this screenshot.
        await b.Page.ScreenshotAsync(new PageScreenshotOptions { Path = ChatPageBrowserTests.ScreenshotPath("chat-page-resumed.png") });

        // The only errors are the browser's own reports of the reconnect attempts that found no server.
        var failedReconnect = new Regex($"^console error: WebSocket connection to 'ws://127\\.0\\.0\\.1:{port}/ws/{bob}\\?resume=[0-9]+&epoch=[^']+' failed");
        Assert.All(b.Problems, problem => Assert.Matches(failedReconnect, problem));
    }

    [Fact]
    public async Task Messages_dropped_by_retention_before_a_resume_show_a_gap_notice()
    {
        // The inbox keeps the last 2 messages only.
        await using var server = await _inbox.StartServerAsync(("Relay:Inbox:MaxMessages", "2"));
        var (alice, bob) = (Ids.Next(), Ids.Next());
        var b = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        await b.ConnectAsync(bob);
        await using var sender = await server.ConnectAsync(alice);
        await sender.SendTextAsync(Wire.Send(bob, "one"));
        Assert.Equal(Wire.SuccessSend(bob), await sender.ReceiveTextAsync());
        await Expect(b.Entry("message", "one")).ToHaveAttributeAsync("data-seq", "1");
        await b.Page.GetByTestId("disconnect").ClickAsync();
        await Expect(b.Status).ToHaveAttributeAsync("data-state", "closed");
        await AwaitOfflineWithInboxAsync(server, bob);

        // Three more while Bob is away: seq 2 is dropped, 3 and 4 are kept.
        foreach (var text in new[] { "two", "three", "four" })
        {
            await sender.SendTextAsync(Wire.Send(bob, text));
            Assert.Equal($$"""{"type":2,"sender":0,"receiver":{{bob}},"content":"stored"}""", await sender.ReceiveTextAsync());
        }

        await b.ConnectAsync(bob);
        await Expect(b.Status).ToHaveTextAsync($"resumed as user {bob}: 2 replayed");
        var gap = b.Entries("gap");
        await Expect(gap).ToHaveCountAsync(1);
        await Expect(gap).ToContainTextAsync("messages after seq 1 up to 2 were dropped before this resume");
        await Expect(b.Entry("message", "two")).ToHaveCountAsync(0);
        await Expect(b.Entry("message", "three")).ToHaveAttributeAsync("data-replayed", "true");
        await Expect(b.Entry("message", "four")).ToHaveAttributeAsync("data-replayed", "true");

        Assert.Empty(b.Problems);
    }

    [Fact]
    public async Task A_server_that_refuses_resume_gets_a_version_1_session_and_the_page_says_so()
    {
        // A server with its inbox off refuses ?resume= with 400.
        await using var server = await _inbox.StartServerAsync(("Relay:Inbox:Enabled", "false"));
        var (alice, bob) = (Ids.Next(), Ids.Next());
        var a = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        var b = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        await a.Page.GetByTestId("user-id").FillAsync(alice.ToString());
        await a.Page.GetByTestId("connect").ClickAsync();
        await Expect(a.Status).ToHaveTextAsync($"open as user {alice}, without resume");
        await Expect(a.Status).ToHaveAttributeAsync("data-state", "open");
        await Expect(a.Entries("info").Filter(new() { HasText = "the server refused ?resume=" })).ToHaveCountAsync(1);

        // Version 1 answers: nobody has an inbox, so a message to an absent user is "not online", never "stored".
        await a.SendAsync(bob, "are you there?");
        await Expect(a.Entries("not-online")).ToHaveAttributeAsync("data-receiver", bob.ToString());
        await b.Page.GetByTestId("user-id").FillAsync(bob.ToString());
        await b.Page.GetByTestId("connect").ClickAsync();
        await Expect(b.Status).ToHaveTextAsync($"open as user {bob}, without resume");
        await a.SendAsync(bob, "now you are");
        await Expect(b.Entry("message", "now you are")).ToHaveAttributeAsync("data-sender", alice.ToString());
        await Expect(b.Entry("message", "now you are").GetByTestId("entry-tag")).ToHaveCountAsync(0);
        await Expect(a.Entries("ack")).ToHaveCountAsync(1);
        await Expect(a.Entries("stored")).ToHaveCountAsync(0);

        // The only errors are the browser's reports of the refused ?resume= handshakes.
        foreach (var (page, user) in new[] { (a, alice), (b, bob) })
        {
            var refused = new Regex($"^console error: WebSocket connection to 'ws://127\\.0\\.0\\.1:{server.BaseUri.Port}/ws/{user}\\?resume=0' failed");
            Assert.All(page.Problems, problem => Assert.Matches(refused, problem));
        }
    }

    /// <summary>Waits until the server API says the user has no session left and has an inbox.</summary>
    private static async Task AwaitOfflineWithInboxAsync(RelayServer server, ulong userId)
    {
        using var api = new ApiClient(server.BaseUri);
        using var timer = new PeriodicTimer(Probe.PollInterval);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var (status, body) = await api.GetAsync($"/api/users/{userId}");
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            if (!body.GetProperty("online").GetBoolean() && body.TryGetProperty("inbox", out var inbox) && inbox.ValueKind == JsonValueKind.Object)
            {
                return;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"user {userId} was still online or had no inbox after {watch.Elapsed}: {body}");
            await timer.WaitForNextTickAsync();
        }
    }
}
