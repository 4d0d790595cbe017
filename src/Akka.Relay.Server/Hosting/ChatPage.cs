using Microsoft.AspNetCore.StaticFiles;

namespace Akka.Relay.Server.Hosting;

/// <summary>Serves the browser chat page (wwwroot/index.html, app.js, style.css) at <c>/</c>.</summary>
public static class ChatPage
{
    /// <summary>
    /// The page runs only its own script and style and talks only to its own origin (CSP 3 lets
    /// <c>'self'</c> match ws:/wss: of the same host), so injected content could not load or send anything.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Adds <c>/</c> → index.html and the files under wwwroot/; any other path (such as /ws/{id}) passes through.</summary>
    public static WebApplication UseChatPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = AddHeaders });
        return app;
    }

    private static void AddHeaders(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        // Revalidate (ETag) on every load, so a redeployed page is never run against a newer server from cache.
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
