using System.Net;
using System.Net.Sockets;

namespace Akka.Relay.Client.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on 127.0.0.1 that forwards bytes both ways in small random chunks and can cut every connection
/// at once (a TCP reset in both directions), wherever the bytes in flight happen to be, mid-frame included.
/// </summary>
public sealed class ChaosProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket Client, Socket Server)> _pairs = [];
    private readonly Task _accepting;
    private int _cuts;

    public ChaosProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>ws://127.0.0.1:PORT of the proxy.</summary>
    public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>How many connections were cut so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>While true, every new connection is reset at once, as if nothing listened.</summary>
    public bool Refusing { get; set; }

    /// <summary>
    /// Resets every connection every <paramref name="minMs"/> to <paramref name="maxMs"/> milliseconds (at random, so the
    /// cuts land wherever the traffic is, mid-frame too) until the returned handle is disposed.
    /// </summary>
    public IAsyncDisposable CutEvery(int minMs, int maxMs)
    {
        var stop = new CancellationTokenSource();
        var cutting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // A pacing interval, not a wait for a result.
                    await Task.Delay(Random.Shared.Next(minMs, maxMs), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                CutAll();
            }
        });
        return new Cutting(stop, cutting);
    }

    /// <summary>Resets every open connection, both sides.</summary>
    public void CutAll()
    {
        List<(Socket Client, Socket Server)> pairs;
        lock (_pairs)
        {
            pairs = [.. _pairs];
            _pairs.Clear();
        }

        foreach (var (client, server) in pairs)
        {
            Reset(client);
            Reset(server);
            Interlocked.Increment(ref _cuts);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // Close sends RST, not FIN.
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => BridgeAsync(client));
        }
    }

    private async Task BridgeAsync(Socket client)
    {
        if (Refusing)
        {
            Reset(client);
            return;
        }

        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            Reset(server);
            return;
        }

        lock (_pairs)
        {
            _pairs.Add((client, server));
        }

        await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        lock (_pairs)
        {
            _pairs.Remove((client, server));
        }

        Reset(client);
        Reset(server);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(0, Random.Shared.Next(1, buffer.Length)), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Cut, or the other side went away: the bridge ends both.
            Reset(from);
            Reset(to);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        await _accepting;
        _stop.Dispose();
    }

    private sealed class Cutting(CancellationTokenSource stop, Task cutting) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            await cutting;
            stop.Dispose();
        }
    }
}
