using System.Collections.Concurrent;

namespace Akka.Relay.Client.Tests.Infrastructure;

/// <summary>A position store that outlives the clients using it, as an application's file or database would.</summary>
public sealed class MemoryPositionStore : IRelayPositionStore
{
    private readonly ConcurrentDictionary<ulong, RelayPosition> _positions = new();

    public ValueTask<RelayPosition> LoadAsync(ulong userId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_positions.GetValueOrDefault(userId, RelayPosition.Start));

    public ValueTask SaveAsync(ulong userId, RelayPosition position, CancellationToken cancellationToken)
    {
        _positions[userId] = position;
        return ValueTask.CompletedTask;
    }

    /// <summary>What is saved for <paramref name="userId"/>.</summary>
    public RelayPosition this[ulong userId] => _positions.GetValueOrDefault(userId, RelayPosition.Start);
}
