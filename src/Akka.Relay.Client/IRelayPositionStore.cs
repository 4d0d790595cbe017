namespace Akka.Relay.Client;

/// <summary>
/// Keeps the resume position across restarts of the application: loaded once in <see cref="RelayClient.ConnectAsync"/>,
/// saved by <see cref="RelayClient.ReadAllAsync"/> as it hands each stored message over (just before yielding it).
/// </summary>
public interface IRelayPositionStore
{
    /// <summary>The saved position of <paramref name="userId"/>, or <see cref="RelayPosition.Start"/>.</summary>
    ValueTask<RelayPosition> LoadAsync(ulong userId, CancellationToken cancellationToken);

    /// <summary>Saves the position of <paramref name="userId"/>.</summary>
    ValueTask SaveAsync(ulong userId, RelayPosition position, CancellationToken cancellationToken);
}
