namespace Akka.Relay.Client.Tests.Infrastructure;

/// <summary>Reads a client's messages in the background, as an application would, and lets a test wait on what arrived.</summary>
public sealed class MessageCollector
{
    private readonly List<RelayMessage> _messages = [];
    private readonly List<(Func<IReadOnlyList<RelayMessage>, bool> Done, TaskCompletionSource Signal)> _waiters = [];

    private MessageCollector(RelayClient client) => Reading = ReadAsync(client);

    /// <summary>The reading loop; it ends when the client is closed.</summary>
    public Task Reading { get; }

    public static MessageCollector Start(RelayClient client) => new(client);

    public IReadOnlyList<RelayMessage> Snapshot()
    {
        lock (_messages)
        {
            return [.. _messages];
        }
    }

    /// <summary>Completes once <paramref name="done"/> holds for the messages read so far.</summary>
    public Task WaitUntilAsync(Func<IReadOnlyList<RelayMessage>, bool> done, TimeSpan? timeout = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_messages)
        {
            if (done(_messages))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((done, signal));
        }

        return signal.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    private async Task ReadAsync(RelayClient client)
    {
        await Task.Yield();
        await foreach (var message in client.ReadAllAsync())
        {
            lock (_messages)
            {
                _messages.Add(message);
                foreach (var waiter in _waiters.Where(w => w.Done(_messages)).ToList())
                {
                    waiter.Signal.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }
    }
}
