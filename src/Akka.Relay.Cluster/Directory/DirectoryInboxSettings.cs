using Akka.Relay.Actors.Inbox;

namespace Akka.Relay.Cluster.Directory;

/// <summary>How a directory entity keeps its user's inbox (protocol 1.1) when the cluster serves one.</summary>
/// <param name="Inbox">Every inbox's retention settings.</param>
/// <param name="AppendTimeout">How long a SEND waits for the store before it is answered <c>error: inbox unavailable</c>.</param>
public sealed record DirectoryInboxSettings(InboxSettings Inbox, TimeSpan AppendTimeout);
