namespace Akka.Relay.Server.Lifecycle;

/// <summary>
/// Whether this node has begun draining. The host raises ApplicationStopping only after the
/// drain has finished, so the endpoint reads this one-way flag to refuse handshakes with 503
/// during the drain without creating a session actor.
/// </summary>
public sealed class DrainState
{
    private volatile bool _draining;

    /// <summary>True once the drain has begun; never goes back.</summary>
    public bool IsDraining => _draining;

    /// <summary>Marks the drain as begun.</summary>
    public void Begin() => _draining = true;
}
