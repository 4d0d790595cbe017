using System.Threading.Channels;
using Akka.Event;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The journal's one writer: a loop that takes everything queued (from every inbox) up to a number of rows, stores it
/// in one transaction, and only after the commit completes each request. A failed batch fails every request in it; the
/// store opens a fresh connection for the next one, so writes resume by themselves when the store comes back.
/// </summary>
internal sealed class JournalWriter : IAsyncDisposable
{
    private readonly Channel<JournalRequest> _queue = Channel.CreateUnbounded<JournalRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IJournalStore _store;
    private readonly int _maxBatchRows;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    /// <summary>Starts the loop over <paramref name="store"/>.</summary>
    public JournalWriter(IJournalStore store, int maxBatchRows, ILoggingAdapter log)
    {
        _store = store;
        _maxBatchRows = maxBatchRows;
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="request"/> and returns its completion.</summary>
    public Task Enqueue(JournalRequest request)
    {
        if (!_queue.Writer.TryWrite(request))
        {
            request.Fail(new ObjectDisposedException(nameof(JournalWriter), "The inbox journal is stopping."));
        }

        return request.Completion;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        // Lets the batch being written finish (its requesters are told), then stops.
        await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        await _stopping.CancelAsync();
        while (_queue.Reader.TryRead(out var left))
        {
            left.Fail(new ObjectDisposedException(nameof(JournalWriter), "The inbox journal stopped."));
        }

        await _store.DisposeAsync();
    }

    private async Task RunAsync()
    {
        var batch = new List<JournalRequest>();
        var reader = _queue.Reader;
        while (await NextAsync())
        {
            batch.Clear();
            var rows = 0;
            while (rows < _maxBatchRows && reader.TryRead(out var request))
            {
                batch.Add(request);
                rows += request.RowCount;
            }

            await WriteAsync(batch);
        }
    }

    private async Task<bool> NextAsync()
    {
        try
        {
            return await _queue.Reader.WaitToReadAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WriteAsync(List<JournalRequest> batch)
    {
        try
        {
            await _store.EnsureSchemaAsync(_stopping.Token);
            await _store.WriteBatchAsync(batch, _stopping.Token);
            foreach (var request in batch)
            {
                request.Succeed();
            }
        }
        catch (Exception e) when (batch.Count > 1 && _store.IsKeyConflict(e))
        {
            // One request collided with a second writer of its persistence id: it alone fails, the others are written.
            _log.Warning("Inbox journal: a batch of {0} requests hit a taken key; writing them one by one", batch.Count);
            foreach (var request in batch)
            {
                await WriteAsync([request]);
            }
        }
        catch (Exception e)
        {
            _log.Warning("Inbox journal: a batch of {0} requests failed: {1}", batch.Count, e.Message);
            foreach (var request in batch)
            {
                request.Fail(e);
            }
        }
    }
}
