using Akka.Relay.Browser.Tests.Infrastructure;
using Akka.Relay.Testing.Server;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Akka.Relay.Browser.Tests;

/// <summary>
/// The chat page at <c>/</c> in headless Chromium against the real server: two users in two browser
/// contexts connect, message each other, broadcast, and see acks, "not online" and close codes.
/// Each test has its own server, so a broadcast reaches exactly the sessions the test opened.
/// </summary>
public sealed class ChatPageBrowserTests : IClassFixture<ChromiumFixture>, IDisposable
{
    private readonly ChromiumFixture _chromium;
    private readonly InboxDirectory _inbox = new();

    public ChatPageBrowserTests(ChromiumFixture chromium)
    {
        _chromium = chromium;
    }

    public void Dispose() => _inbox.Dispose();

    /// <summary>Where screenshots go: the test output folder (copy one to docs/ by hand when the page changes).</summary>
    public static string ScreenshotPath(string name) => Path.Combine(AppContext.BaseDirectory, "screenshots", name);

    [Fact]
    public async Task Two_users_chat_broadcast_and_see_acks_and_not_online()
    {
        await using var server = await _inbox.StartServerAsync();
        var alice = Ids.Next();
        var bob = Ids.Next();
        var absent = Ids.Next();
        var a = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        var b = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        await a.ConnectAsync(alice);
        await b.ConnectAsync(bob);

        // 1:1 from A to B: B sees it stamped with A's id, A gets the ack.
        const string hello = "hi bob, lunch at 12?";
        await a.SendAsync(bob, hello);

        var received = b.Entry("message", hello);
        await Expect(received).ToHaveCountAsync(1);
        await Expect(received).ToHaveAttributeAsync("data-sender", alice.ToString());
        await Expect(received).ToContainTextAsync($"from {alice}");

        var ack = a.Entries("ack");
        await Expect(ack).ToHaveCountAsync(1);
        await Expect(ack).ToHaveAttributeAsync("data-receiver", bob.ToString());
        await Expect(ack).ToContainTextAsync("success send");
        await Expect(a.Entry("sent", hello)).ToHaveCountAsync(1);

        // B answers; A sees it stamped with B's id.
        const string reply = "hello alice, got it";
        await b.SendAsync(alice, reply);
        await Expect(a.Entry("message", reply)).ToHaveAttributeAsync("data-sender", bob.ToString());
        await Expect(b.Entries("ack")).ToHaveCountAsync(1);

        // A broadcast reaches both pages, A's own included, stamped with A's id and never acked.
        const string news = "meeting at noon, everyone";
        await a.BroadcastAsync(news);
        foreach (var page in new[] { a, b })
        {
            var broadcast = page.Entry("broadcast", news);
            await Expect(broadcast).ToHaveCountAsync(1);
            await Expect(broadcast).ToHaveAttributeAsync("data-sender", alice.ToString());
            await Expect(broadcast).ToContainTextAsync($"from {alice}");
        }

        // A SEND to a user nobody holds is answered "not online".
        await a.SendAsync(absent, "anyone there?");
        var notOnline = a.Entries("not-online");
        await Expect(notOnline).ToHaveCountAsync(1);
        await Expect(notOnline).ToHaveAttributeAsync("data-receiver", absent.ToString());
        await Expect(notOnline).ToContainTextAsync("not online");
        await Expect(a.Entries("ack")).ToHaveCountAsync(1);

        await Expect(a.Status).ToHaveAttributeAsync("data-state", "open");
        await Expect(b.Status).ToHaveAttributeAsync("data-state", "open");
        await a.Page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("chat-page.png") });
        await b.Page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("chat-page-receiver.png") });

        Assert.Empty(a.Problems);
        Assert.Empty(b.Problems);
    }

    [Fact]
    public async Task Messages_from_other_clients_show_as_text_with_64_bit_ids_exact_both_ways()
    {
        await using var server = await _inbox.StartServerAsync();
        var carol = Ids.Next();
        var page = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);
        await page.ConnectAsync(carol);

        // The largest user id is above 2^53, where a JavaScript number would round it.
        const ulong maxUser = ulong.MaxValue;
        await using var bot = await server.ConnectAsync(maxUser);
        // Content is untrusted: markup in it must show as text, never become an element.
        const string markup = "<b>not bold</b> & <img src=x onerror=alert(1)>";
        await bot.SendTextAsync($$"""{"type":1,"receiver":{{carol}},"content":"{{markup}}","id":"bot-1"}""");
        Assert.Equal($$"""{"type":2,"sender":0,"receiver":{{carol}},"content":"success send"}""", await bot.ReceiveTextAsync());
        var fromBot = page.Entry("message", markup);
        await Expect(fromBot).ToHaveAttributeAsync("data-sender", "18446744073709551615");
        await Expect(fromBot).ToContainTextAsync("from 18446744073709551615");
        await Expect(page.Log.Locator("b, img")).ToHaveCountAsync(0);

        // The page sends to that id with its digits intact: the bot receives it.
        await page.SendAsync(maxUser, "back to the bot");
        // The page's client adds a message id ("mid", protocol 1.1) so a resend after a reconnect is not stored twice.
        Assert.Matches(
            $$"""^\{"sender":{{carol}},"type":1,"receiver":18446744073709551615,"content":"back to the bot","mid":"[0-9a-f]{32}"\}$""",
            await bot.ReceiveTextAsync());
        await Expect(page.Entries("ack")).ToHaveAttributeAsync("data-receiver", "18446744073709551615");

        Assert.Empty(page.Problems);
    }

    [Fact]
    public async Task The_page_shows_close_codes_refuses_bad_ids_and_reconnects()
    {
        await using var server = await _inbox.StartServerAsync(("Relay:MaxMessageBytes", "512"));
        var dave = Ids.Next();
        var page = await ChatPageDriver.OpenAsync(_chromium, server.BaseUri);

        // An id the protocol refuses is caught by the form; nothing connects.
        await page.Page.GetByTestId("user-id").FillAsync("0");
        await page.Page.GetByTestId("connect").ClickAsync();
        await Expect(page.Page.GetByTestId("form-error")).ToContainTextAsync("user id must be a whole number");
        await Expect(page.Status).ToHaveAttributeAsync("data-state", "closed");

        // A message over the server's size limit: the server closes the session with 1009, and the page says so.
        await page.ConnectAsync(dave);
        await page.SendAsync(dave, new string('x', 600));
        await Expect(page.Status).ToHaveAttributeAsync("data-state", "closed");
        await Expect(page.Status).ToContainTextAsync("closed: 1009 message too big");
        await Expect(page.Page.GetByTestId("send")).ToBeDisabledAsync();

        // Connect again, then leave with the Disconnect button: a normal closure.
        await page.ConnectAsync(dave);
        await page.SendAsync(dave, "note to self");
        await Expect(page.Entry("message", "note to self")).ToHaveAttributeAsync("data-sender", dave.ToString());
        await page.Page.GetByTestId("disconnect").ClickAsync();
        await Expect(page.Status).ToHaveAttributeAsync("data-state", "closed");
        await Expect(page.Status).ToContainTextAsync("closed: 1000 normal closure");
        await Expect(page.Page.GetByTestId("connect")).ToBeEnabledAsync();

        Assert.Empty(page.Problems);
    }
}
