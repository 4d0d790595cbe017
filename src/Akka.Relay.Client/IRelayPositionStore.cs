namespace Akka.Relay.Client;

/// <summary>The last stored message handed to the application: its inbox epoch and sequence number.</summary>
public sealed record RelayPosition(string? Epoch, ulong Seq)
{
    /// <summary>Nothing handed over yet.</summary>
    public static readonly RelayPosition Start = new(null, 0);
}

/// <summary>
/// Keeps the resume position across restarts of the application: loaded once at connect, saved after each
/// stored message is handed over. Implementations must be safe to call from the reading loop.
/// </summary>
public interface IRelayPositionStore
{
    /// <summary>The saved position of <paramref name="userId"/>, or <see cref="RelayPosition.Start"/>.</summary>
    ValueTask<RelayPosition> LoadAsync(ulong userId, CancellationToken cancellationToken);

    /// <summary>Saves the position of <paramref name="userId"/>.</summary>
    ValueTask SaveAsync(ulong userId, RelayPosition position, CancellationToken cancellationToken);
}
