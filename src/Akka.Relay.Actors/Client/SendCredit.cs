namespace Akka.Relay.Actors.Client;

/// <summary>
/// Bounds the SENDs (and refused messages) a session has waiting for their answer to be written. The read pump
/// takes a credit before it passes one on and, when none is left, waits: it stops reading the socket, and TCP
/// pushes back on the client. The outbox returns the credit once the answer (ack or error reply) is written to
/// the socket (a SEND settled only later returns it then). Nothing is dropped and nothing grows without bound,
/// however fast a client writes, however slow the path to the receiver is (another node, say), and however slowly
/// its answers go out.
/// </summary>
internal sealed class SendCredit
{
    private readonly SemaphoreSlim _available;
    private readonly int _limit;
    private volatile bool _open;

    public SendCredit(int limit)
    {
        _limit = limit;
        _available = new SemaphoreSlim(limit, int.MaxValue);
    }

    /// <summary>Takes a credit; completes synchronously while one is left.</summary>
    public Task TakeAsync() => _open ? Task.CompletedTask : _available.WaitAsync();

    /// <summary>Returns the credit of a settled SEND.</summary>
    public void Return()
    {
        if (!_open)
        {
            _available.Release();
        }
    }

    /// <summary>The session is closing: stop counting and let a waiting read pump go on to the close frame.</summary>
    public void Open()
    {
        if (_open)
        {
            return;
        }

        _open = true;
        _available.Release(_limit);
    }
}
