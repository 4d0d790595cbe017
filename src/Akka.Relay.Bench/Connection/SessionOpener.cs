namespace Akka.Relay.Bench.Connection;

/// <summary>Opens a scenario's sessions with bounded concurrency, all or nothing.</summary>
public static class SessionOpener
{
    /// <summary>
    /// Opens <paramref name="count"/> sessions, session i for user <c>idBase + i</c> (default
    /// <c>--id-base</c>) on <c>urls[i % urls.Count]</c>, with the URL query <paramref name="query"/>(i)
    /// when given (e.g. <c>resume=0</c>), at most <paramref name="concurrency"/> (default <c>--concurrency</c>)
    /// at once. If any fails, closes those opened and throws <see cref="SetupException"/>.
    /// </summary>
    public static async Task<RelayConnection[]> OpenAllAsync(
        BenchOptions options, ConnectionFactory factory, int count, Action onOpened, CancellationToken cancellationToken,
        ulong? idBase = null, Func<int, string?>? query = null, int? concurrency = null)
    {
        var firstId = idBase ?? options.IdBase;
        var opened = new RelayConnection?[count];
        var tasks = new List<Task>(count);
        ConnectException? firstFailure = null;
        var failures = 0;
        using var gate = new SemaphoreSlim(concurrency ?? options.Concurrency);
        for (var i = 0; i < count && Volatile.Read(ref failures) == 0 && !cancellationToken.IsCancellationRequested; i++)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    opened[index] = await RelayConnection.ConnectAsync(
                        factory, options.Urls[index % options.Urls.Count], firstId + (ulong)index, options.ConnectTimeout, cancellationToken, query: query?.Invoke(index)).ConfigureAwait(false);
                    onOpened();
                }
                catch (ConnectException e)
                {
                    if (Interlocked.Increment(ref failures) == 1)
                    {
                        firstFailure = e;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (failures == 0 && !cancellationToken.IsCancellationRequested)
        {
            return opened!;
        }

        foreach (var connection in opened)
        {
            connection?.Dispose();
        }

        throw firstFailure is null
            ? new SetupException("cancelled while opening sessions")
            : new SetupException($"{failures} session(s) could not be opened (after {opened.Count(c => c is not null)} of {count} succeeded); first: {firstFailure.Message}", firstFailure);
    }
}
