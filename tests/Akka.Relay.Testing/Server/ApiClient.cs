using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Akka.Relay.Testing.Server;

/// <summary>A backend calling the server API over HTTP.</summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>The key the tests' servers are configured with.</summary>
    public const string Key = "test-api-key-0123456789abcdef";

    private readonly HttpClient _http;

    /// <summary>A client for the server at <paramref name="baseUri"/>, presenting <paramref name="key"/> as a bearer token (none when null).</summary>
    public ApiClient(Uri baseUri, string? key = Key)
    {
        _http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(15) };
        if (key is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    /// <summary>The underlying client (for custom headers).</summary>
    public HttpClient Http => _http;

    /// <summary>POSTs <paramref name="json"/> to <paramref name="path"/>.</summary>
    public Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string json) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    /// <summary>GETs <paramref name="path"/>.</summary>
    public Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    /// <summary><c>POST /api/send</c>.</summary>
    public Task<(HttpStatusCode Status, JsonElement Body)> SendToAsync(ulong receiver, string content) =>
        PostAsync("api/send", JsonSerializer.Serialize(new { receiver, content }));

    /// <summary>Sends <paramref name="request"/>; the body is parsed as JSON (an empty body reads as JSON null).</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (text.Length == 0)
            {
                return (response.StatusCode, default);
            }

            using var document = JsonDocument.Parse(text);
            return (response.StatusCode, document.RootElement.Clone());
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
