namespace Akka.Relay.Cluster.Directory;

// What directory entities publish on their node's event stream for RebuildWarningLog. Local only: never serialized.

/// <summary>The entity of <paramref name="UserId"/> started serving without the reports of <paramref name="MissingReports"/> hubs.</summary>
public sealed record RebuildIncomplete(ulong UserId, int MissingReports, TimeSpan RebuildTimeout);
