using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Protocol;
using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Akka.Relay.Server.Api;

/// <summary>
/// The server API for backends: send to a user and broadcast as the server (<c>"sender":0</c>), look a user up,
/// count users and sessions. Every call goes through the hub (or the user's directory entity) with an ask whose
/// answer is awaited here, outside the actors.
/// </summary>
public sealed class ServerApi
{
    private readonly IRequiredActor<HubActorBase> _hub;
    private readonly ActorSystem _system;
    private readonly IOptions<RelayOptions> _relay;
    private readonly IOptions<RelayApiOptions> _api;
    private readonly IOptions<RelayClusterOptions> _cluster;
    private readonly IOptions<RelayInboxOptions> _inbox;

    /// <summary>Creates the handlers.</summary>
    public ServerApi(IRequiredActor<HubActorBase> hub, ActorSystem system, IOptions<RelayOptions> relay, IOptions<RelayApiOptions> api, IOptions<RelayClusterOptions> cluster, IOptions<RelayInboxOptions> inbox)
    {
        _inbox = inbox;
        _hub = hub;
        _system = system;
        _relay = relay;
        _api = api;
        _cluster = cluster;
    }

    private TimeSpan Timeout => _api.Value.Timeout;

    /// <summary>Registers the API's settings and handlers.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RelayApiOptions>()
            .Bind(configuration.GetSection(RelayApiOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RelayApiOptions>, RelayApiOptionsValidator>();
        services.AddSingleton<ServerApi>();
    }

    /// <summary>Maps the API under <c>/api</c>, behind the API key (404 for every route while no key is configured).</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>();
        api.MapPost("/send", (HttpContext context, ServerApi handlers) => handlers.SendAsync(context));
        api.MapPost("/broadcast", (HttpContext context, ServerApi handlers) => handlers.BroadcastAsync(context));
        api.MapGet("/users/{id}", (string id, ServerApi handlers, CancellationToken cancellation) => handlers.GetUserAsync(id, cancellation));
        api.MapGet("/stats", (ServerApi handlers, CancellationToken cancellation) => handlers.GetStatsAsync(cancellation));
    }

    /// <summary><c>POST /api/send {"receiver": 5, "content": "..."}</c>: every session of the receiver gets it as a system message.</summary>
    public async Task<IResult> SendAsync(HttpContext context)
    {
        var (body, refusal) = await ReadObjectAsync(context, "receiver", "content");
        if (refusal is not null)
        {
            return refusal;
        }

        if (!body.TryGetValue("receiver", out var receiverElement) || receiverElement.ValueKind != JsonValueKind.Number || !receiverElement.TryGetUInt64(out var receiver))
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "receiver must be a user id: an integer from 1 to 18446744073709551615");
        }

        if (receiver == UserIds.Server)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "receiver 0 is the server");
        }

        if (ValidateContent(body, out var content) is { } contentRefusal)
        {
            return contentRefusal;
        }

        var payload = SystemMessages.Notice(receiver, content);
        if (TooLong(payload) is { } tooLong)
        {
            return tooLong;
        }

        try
        {
            var hub = await _hub.GetAsync(context.RequestAborted);
            var ack = await hub.Ask<SendAck>(new SendToUser(receiver, payload) { SenderId = UserIds.Server }, Timeout, context.RequestAborted);
            return ack.Outcome switch
            {
                SendOutcome.Delivered => ApiResults.Ok(new SendAnswer(receiver, SystemMessages.SuccessSendContent, Delivered: true)),
                SendOutcome.Stored => ApiResults.Ok(new SendAnswer(receiver, SystemMessages.StoredContent, Delivered: false)),
                SendOutcome.NotOnline => ApiResults.Ok(new SendAnswer(receiver, SystemMessages.NotOnlineContent, Delivered: false)),
                SendOutcome.InboxUnavailable => ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "inbox unavailable: the receiver's inbox could not store the message; nothing was delivered"),
                // Neither delivered nor known to be undeliverable: "not online" would not be true.
                _ => ApiResults.Error(StatusCodes.Status503ServiceUnavailable, ErrorReasons.NoRoute + ": try again"),
            };
        }
        catch (AskTimeoutException)
        {
            return NoAnswer();
        }
    }

    /// <summary><c>POST /api/broadcast {"content": "..."}</c>: every session on every node gets it as a system message.</summary>
    public async Task<IResult> BroadcastAsync(HttpContext context)
    {
        var (body, refusal) = await ReadObjectAsync(context, "content");
        if (refusal is not null)
        {
            return refusal;
        }

        if (ValidateContent(body, out var content) is { } contentRefusal)
        {
            return contentRefusal;
        }

        var payload = SystemMessages.BroadcastNotice(content);
        if (TooLong(payload) is { } tooLong)
        {
            return tooLong;
        }

        var hub = await _hub.GetAsync(context.RequestAborted);
        hub.Tell(new BroadcastToAll(payload));
        // Broadcasts are fire-and-forget, as for clients: there is nobody to wait for.
        return ApiResults.Ok(new BroadcastAnswer("queued"), StatusCodes.Status202Accepted);
    }

    /// <summary><c>GET /api/users/{id}</c>: whether the user is online and with how many sessions (cluster-wide when clustered).</summary>
    public async Task<IResult> GetUserAsync(string id, CancellationToken cancellation)
    {
        if (!UserIds.TryParse(id, out var userId, out var error))
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, error);
        }

        try
        {
            var hub = await _hub.GetAsync(cancellation);
            var answer = await hub.Ask<UserSessions>(new GetUserSessions(userId), Timeout, cancellation);
            InboxAnswer? inbox = null;
            if (_inbox.Value.Enabled)
            {
                var status = await hub.Ask<InboxStatus>(new GetUserInbox(userId), Timeout, cancellation);
                inbox = status.Epoch is { } epoch ? new InboxAnswer(epoch, status.Last, status.Kept) : null;
            }

            return ApiResults.Ok(new UserAnswer(userId, answer.Sessions > 0, answer.Sessions) { Inbox = inbox });
        }
        catch (AskTimeoutException)
        {
            return NoAnswer();
        }
    }

    /// <summary><c>GET /api/stats</c>: this node's users and sessions and, when clustered, every node's and the cluster's sessions.</summary>
    public async Task<IResult> GetStatsAsync(CancellationToken cancellation)
    {
        try
        {
            var hub = await _hub.GetAsync(cancellation);
            var local = await hub.Ask<HubStats>(GetHubStats.Instance, Timeout, cancellation);
            if (!_cluster.Value.Enabled)
            {
                return ApiResults.Ok(new StatsAnswer(new NodeStats("local", local.Users, local.Sessions), null));
            }

            var cluster = AkkaCluster.Get(_system);
            var self = new NodeStats(cluster.SelfAddress.ToString(), local.Users, local.Sessions);
            var others = cluster.State.Members
                .Where(m => m.Status == MemberStatus.Up && !m.Address.Equals(cluster.SelfAddress))
                .Select(m => AskNodeAsync(m.Address, cancellation))
                .ToList();
            var members = new List<NodeStats> { self };
            foreach (var answer in await Task.WhenAll(others))
            {
                if (answer is not null)
                {
                    members.Add(answer);
                }
            }

            return ApiResults.Ok(new StatsAnswer(self, new ClusterStats(others.Count + 1, members.Count, members.Sum(m => m.Sessions), members)));
        }
        catch (AskTimeoutException)
        {
            return NoAnswer();
        }
    }

    private async Task<NodeStats?> AskNodeAsync(Address address, CancellationToken cancellation)
    {
        try
        {
            var hub = _system.ActorSelection(new RootActorPath(address) / "user" / HubActorBase.Name);
            var stats = await hub.Ask<HubStats>(GetHubStats.Instance, Timeout, cancellation);
            return new NodeStats(address.ToString(), stats.Users, stats.Sessions);
        }
        catch (AskTimeoutException)
        {
            return null; // Counted in "nodes" but not in "nodesAnswered".
        }
    }

    private IResult? TooLong(byte[] payload)
    {
        var limit = _relay.Value.MaxMessageBytes;
        return payload.Length <= limit
            ? null
            : ApiResults.Error(StatusCodes.Status400BadRequest, $"content too long: the message would be {payload.Length} bytes, over the limit of {limit} (Relay:MaxMessageBytes)");
    }

    private static IResult? ValidateContent(IReadOnlyDictionary<string, JsonElement> body, out string content)
    {
        content = string.Empty;
        if (!body.TryGetValue("content", out var element))
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "content is required");
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "content must be a string");
        }

        try
        {
            content = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but no Unicode text.
            return ApiResults.Error(StatusCodes.Status400BadRequest, "content must be Unicode text: it escapes a lone surrogate");
        }

        if (content.Length == 0)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "content must not be empty");
        }

        return SystemMessages.IsReservedContent(content)
            ? ApiResults.Error(StatusCodes.Status400BadRequest, "content must not look like the relay's own acks or errors (\"success send\", \"not online\", \"stored\", \"resume\", \"error: ...\")")
            : null;
    }

    /// <summary>
    /// Reads the body as one JSON object whose <paramref name="fields"/> appear at most once each (a duplicate
    /// would be read differently by different JSON libraries). The body may be several times the message limit,
    /// since escapes in the request shrink once encoded, but no more.
    /// </summary>
    private async Task<(IReadOnlyDictionary<string, JsonElement> Body, IResult? Refusal)> ReadObjectAsync(HttpContext context, params string[] fields)
    {
        var empty = new Dictionary<string, JsonElement>();
        var limit = (8 * _relay.Value.MaxMessageBytes) + 1024;
        if (context.Request.ContentLength > limit)
        {
            return (empty, ApiResults.Error(StatusCodes.Status413PayloadTooLarge, $"request body over {limit} bytes"));
        }

        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                return (empty, ApiResults.Error(StatusCodes.Status413PayloadTooLarge, $"request body over {limit} bytes"));
            }
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (empty, ApiResults.Error(StatusCodes.Status400BadRequest, "the body must be a JSON object"));
            }

            var body = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!fields.Contains(property.Name, StringComparer.Ordinal))
                {
                    continue; // Unknown fields are ignored, as in client messages.
                }

                if (!body.TryAdd(property.Name, property.Value.Clone()))
                {
                    return (empty, ApiResults.Error(StatusCodes.Status400BadRequest, $"duplicate field {property.Name}"));
                }
            }

            return (body, null);
        }
        catch (JsonException)
        {
            return (empty, ApiResults.Error(StatusCodes.Status400BadRequest, "the body must be a JSON object"));
        }
        catch (InvalidOperationException)
        {
            // Reading a key that escapes a lone surrogate ("\ud800") throws: it names no text.
            return (empty, ApiResults.Error(StatusCodes.Status400BadRequest, "the body's keys must be Unicode text: one escapes a lone surrogate"));
        }
    }

    private static IResult NoAnswer() => ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the relay did not answer in time; try again");
}
