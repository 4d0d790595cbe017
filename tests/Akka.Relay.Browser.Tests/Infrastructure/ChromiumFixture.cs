using Microsoft.Playwright;

namespace Akka.Relay.Browser.Tests.Infrastructure;

/// <summary>
/// One headless Chromium for the tests of a class: the machine's own (Debian's <c>chromium</c> package),
/// driven by Playwright's bundled driver, so nothing is downloaded at run time.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>Where Debian installs Chromium; <c>RELAY_CHROMIUM</c> names another executable.</summary>
    public const string DefaultExecutable = "/usr/bin/chromium";

    /// <summary>How long a step waits for the page to show something (generous: the machine is shared).</summary>
    public const float ExpectTimeoutMs = 15_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The running browser.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    /// <summary>The Chromium executable the tests drive.</summary>
    public static string Executable => Environment.GetEnvironmentVariable("RELAY_CHROMIUM") is { Length: > 0 } path ? path : DefaultExecutable;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {Executable}: install it (apt-get install -y chromium, as .ci/run does) or set RELAY_CHROMIUM.");
        }

        Assertions.SetDefaultExpectTimeout(ExpectTimeoutMs);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Timeout = 60_000,
        });
    }

    /// <summary>A fresh browser context (own cookies and storage, like another device) with one page.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 960, Height = 640 },
        });
        context.SetDefaultTimeout(ExpectTimeoutMs);
        return await context.NewPageAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
