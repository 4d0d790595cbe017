using Akka.Cluster.Sharding;
using Akka.Relay.Actors.Hub;

namespace Akka.Relay.Cluster.Directory;

/// <summary>Routes directory messages to the entity of the user they concern (the receiver, for a SEND).</summary>
public sealed class UserMessageExtractor : HashCodeMessageExtractor
{
    /// <summary>Creates the extractor for <paramref name="shardCount"/> shards.</summary>
    public UserMessageExtractor(int shardCount)
        : base(shardCount)
    {
    }

    /// <inheritdoc />
    public override string? EntityId(object message) => message switch
    {
        RouteSend m => Key(m.Receiver),
        ClaimSession m => Key(m.UserId),
        ReleaseSession m => Key(m.UserId),
        GetUserSessions m => Key(m.UserId),
        GetUserInbox m => Key(m.UserId),
        // Unknown messages (ShardRegion.StartEntity included) are left to the base class.
        _ => null,
    };

    private static string Key(ulong userId) => userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
