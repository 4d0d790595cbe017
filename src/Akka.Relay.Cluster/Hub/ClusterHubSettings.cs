namespace Akka.Relay.Cluster.Hub;

/// <summary>What a cluster node's hub needs beyond the contract's limits.</summary>
/// <param name="AnswerTimeout">How long a SEND may wait for the receiver's directory to answer before the sender is told.</param>
public sealed record ClusterHubSettings(TimeSpan AnswerTimeout);
