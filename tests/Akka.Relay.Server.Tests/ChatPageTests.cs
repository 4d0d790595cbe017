using System.Net;
using System.Text.RegularExpressions;
using Akka.Relay.Server.Hosting;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// The browser chat page over real HTTP: <c>/</c> serves the page, every file it references is served
/// from the server itself (no CDN), and the page leaves <c>/ws/{id}</c> and unknown paths alone.
/// </summary>
public sealed partial class ChatPageTests : IClassFixture<ServerFixture>
{
    private readonly RelayServer _server;

    public ChatPageTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    [Fact]
    public async Task Root_serves_the_chat_page_as_html()
    {
        using var http = _server.CreateHttpClient();
        using var response = await http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>Akka.Relay chat</title>", html);
        foreach (var testId in new[] { "user-id", "connect", "status", "receiver", "content", "send", "broadcast", "log" })
        {
            Assert.Contains($"data-testid=\"{testId}\"", html);
        }

        Assert.Equal(ChatPage.ContentSecurityPolicy, string.Join(' ', response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", string.Join(' ', response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Every_file_the_page_references_is_served_by_the_server_itself()
    {
        using var http = _server.CreateHttpClient();
        var html = await http.GetStringAsync("/");
        var references = AssetReference().Matches(html).Select(m => m.Groups["url"].Value).Where(url => !url.StartsWith("data:", StringComparison.Ordinal)).ToList();

        Assert.Equal(["app.js", "style.css"], references.Order(StringComparer.Ordinal));
        foreach (var reference in references)
        {
            // Relative to the page: served here, never from another host.
            Assert.False(Uri.TryCreate(reference, UriKind.Absolute, out _), $"{reference} is not on this server");
        }

        // app.js is an ES module: what it imports is served here too.
        var imports = ModuleImport().Matches(await http.GetStringAsync("/app.js")).Select(m => m.Groups["url"].Value).ToList();
        Assert.Equal(["./relay-client.js"], imports);
        using var imported = await http.GetAsync(new Uri(new Uri(_server.BaseUri, "/app.js"), imports[0]));
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Equal("text/javascript", imported.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("app.js", "text/javascript", "import { RelayClient")]
    [InlineData("style.css", "text/css", ".entry-error")]
    [InlineData("index.html", "text/html", "<script src=\"app.js\" type=\"module\">")]
    public async Task Page_assets_are_served_with_their_content_type(string path, string mediaType, string expectedText)
    {
        using var http = _server.CreateHttpClient();
        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expectedText, await response.Content.ReadAsStringAsync());
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Unknown_paths_are_404_not_the_page()
    {
        using var http = _server.CreateHttpClient();
        using var response = await http.GetAsync("/no-such-file.js");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_websocket_endpoint_is_unaffected_by_the_page()
    {
        // A plain GET of /ws/{id} is still the endpoint's 400 with a JSON reason, not a file.
        using var http = _server.CreateHttpClient();
        using var plainGet = await http.GetAsync("/ws/1");
        Assert.Equal(HttpStatusCode.BadRequest, plainGet.StatusCode);
        RelayServer.AssertErrorBody(plainGet.Content.Headers.ContentType?.MediaType, await plainGet.Content.ReadAsStringAsync());

        var alice = Ids.Next();
        var bob = Ids.Next();
        await using var aliceClient = await _server.ConnectAsync(alice);
        await using var bobClient = await _server.ConnectAsync(bob);
        await aliceClient.SendTextAsync($$"""{"type":1,"receiver":{{bob}},"content":"through the page's middleware"}""");

        Assert.Equal($$"""{"sender":{{alice}},"type":1,"receiver":{{bob}},"content":"through the page's middleware"}""", await bobClient.ReceiveTextAsync());
        Assert.Equal(Wire.SuccessSend(bob), await aliceClient.ReceiveTextAsync());
    }

    [GeneratedRegex("(?:src|href)=\"(?<url>[^\"]+)\"")]
    private static partial Regex AssetReference();

    [GeneratedRegex("^import .* from '(?<url>[^']+)';", RegexOptions.Multiline)]
    private static partial Regex ModuleImport();
}
