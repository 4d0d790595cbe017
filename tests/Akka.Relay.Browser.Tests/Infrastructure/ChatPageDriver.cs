using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Akka.Relay.Browser.Tests.Infrastructure;

/// <summary>One open chat page: fills its forms as a person would and finds what its log shows.</summary>
public sealed class ChatPageDriver
{
    private readonly List<string> _problems = [];

    private ChatPageDriver(IPage page)
    {
        Page = page;
        // Script errors and console errors (a CSP refusal, an exception in app.js) fail the test at the end.
        page.PageError += (_, error) => _problems.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _problems.Add("console error: " + message.Text);
            }
        };
    }

    /// <summary>The browser page.</summary>
    public IPage Page { get; }

    /// <summary>The connection state line.</summary>
    public ILocator Status => Page.GetByTestId("status");

    /// <summary>The message log.</summary>
    public ILocator Log => Page.GetByTestId("log");

    /// <summary>Errors the page's script or console reported so far.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Opens the chat page at the server's root.</summary>
    public static async Task<ChatPageDriver> OpenAsync(ChromiumFixture chromium, Uri baseUri)
    {
        var driver = new ChatPageDriver(await chromium.NewPageAsync());
        var response = await driver.Page.GotoAsync(baseUri.ToString());
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        await Expect(driver.Page).ToHaveTitleAsync("Akka.Relay chat");
        await Expect(driver.Status).ToHaveAttributeAsync("data-state", "closed");
        return driver;
    }

    /// <summary>
    /// Connects as <paramref name="userId"/> and waits until the page says the session is open: "open as user N",
    /// or "resumed as user N: K replayed" when the user's inbox had messages to replay.
    /// </summary>
    public async Task ConnectAsync(ulong userId)
    {
        await Page.GetByTestId("user-id").FillAsync(userId.ToString());
        await Page.GetByTestId("connect").ClickAsync();
        await Expect(Status).ToHaveAttributeAsync("data-state", "open");
        await Expect(Status).ToHaveTextAsync(new Regex($"^(open as user {userId}|resumed as user {userId}: [0-9]+ replayed)$"));
    }

    /// <summary>Sends a 1:1 message with the form.</summary>
    public async Task SendAsync(ulong receiver, string text)
    {
        await Page.GetByTestId("receiver").FillAsync(receiver.ToString());
        await Page.GetByTestId("content").FillAsync(text);
        await Page.GetByTestId("send").ClickAsync();
    }

    /// <summary>Broadcasts a message with the form.</summary>
    public async Task BroadcastAsync(string text)
    {
        await Page.GetByTestId("content").FillAsync(text);
        await Page.GetByTestId("broadcast").ClickAsync();
    }

    /// <summary>Log entries of one kind (message, broadcast, ack, stored, not-online, gap, error, sent, info).</summary>
    public ILocator Entries(string kind) => Log.Locator($"li[data-kind='{kind}']");

    /// <summary>The log entry of <paramref name="kind"/> whose text is exactly <paramref name="text"/>.</summary>
    public ILocator Entry(string kind, string text) =>
        Entries(kind).Filter(new LocatorFilterOptions
        {
            Has = Page.GetByTestId("entry-text").GetByText(text, new LocatorGetByTextOptions { Exact = true }),
        });
}
