using Akka.Actor;

namespace Akka.Relay.Actors.Hub;

/// <summary>How a single node's hub reaches its users' inboxes.</summary>
/// <param name="ShelfProps">The parent of the per-user inboxes (an <c>InboxShelf</c>), started as the hub's child.</param>
/// <param name="AppendTimeout">How long a SEND to a user with an inbox waits for the store before it is answered <c>error: inbox unavailable</c>.</param>
public sealed record InboxRouting(Props ShelfProps, TimeSpan AppendTimeout);
