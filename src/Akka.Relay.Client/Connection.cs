using System.Net.WebSockets;

namespace Akka.Relay.Client;

/// <summary>One open session: its socket, what is in flight on it, and how it ended.</summary>
internal sealed class Connection : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public Connection(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public CancellationToken Token => _stop.Token;

    /// <summary>The inbox epoch named by this session's <c>resume</c> frame; null on a version 1 session.</summary>
    public string? Epoch { get; set; }

    /// <summary>The resume header, read during the handshake and handled first by the read loop; null once handled or without resume.</summary>
    public ReadOnlyMemory<byte>? FirstFrame { get; set; }

    /// <summary>Mids of BROADCASTs written on this session whose own echo has not come back yet (each may still be refused).</summary>
    public HashSet<string> Unechoed { get; } = [];

    public WebSocketCloseStatus? CloseStatus { get; set; }

    public string? CloseReason { get; set; }

    public Exception? Error { get; set; }

    /// <summary>Answers on this session can no longer be matched to their messages: end it and resend on a new one.</summary>
    public bool Resync { get; private set; }

    public void RequestResync()
    {
        Resync = true;
        Stop();
    }

    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended and disposed.
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        Socket.Dispose();
    }
}
