namespace Akka.Relay.Server.Api;

// The JSON bodies the server API answers with (camelCase on the wire).

/// <summary>The answer to <c>POST /api/send</c>: <paramref name="Result"/> is the ack a client would get, <c>success send</c> or <c>not online</c>.</summary>
public sealed record SendAnswer(ulong Receiver, string Result, bool Delivered);

/// <summary>The answer to <c>POST /api/broadcast</c>.</summary>
public sealed record BroadcastAnswer(string Result);

/// <summary>The answer to <c>GET /api/users/{id}</c>.</summary>
public sealed record UserAnswer(ulong User, bool Online, int Sessions)
{
    /// <summary>The user's inbox (protocol 1.1); absent when the user has none.</summary>
    public InboxAnswer? Inbox { get; init; }
}

/// <summary>A user's inbox in <c>GET /api/users/{id}</c>: its epoch, newest seq and how many messages it keeps.</summary>
public sealed record InboxAnswer(string Epoch, ulong LastSeq, int Messages);

/// <summary>One node's counts in <c>GET /api/stats</c>.</summary>
public sealed record NodeStats(string Address, int Users, int Sessions);

/// <summary>The cluster part of <c>GET /api/stats</c>: <paramref name="Sessions"/> sums the nodes that answered.</summary>
public sealed record ClusterStats(int Nodes, int NodesAnswered, int Sessions, IReadOnlyList<NodeStats> Members);

/// <summary>The answer to <c>GET /api/stats</c>; <paramref name="Cluster"/> is absent on a single node.</summary>
public sealed record StatsAnswer(NodeStats Node, ClusterStats? Cluster);

/// <summary>The body of every refusal.</summary>
public sealed record ApiError(string Error);

/// <summary>JSON results with the API's serializer settings.</summary>
internal static class ApiResults
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static IResult Ok(object body, int status = StatusCodes.Status200OK) => Results.Json(body, Json, statusCode: status);

    public static IResult Error(int status, string error) => Results.Json(new ApiError(error), Json, statusCode: status);
}
