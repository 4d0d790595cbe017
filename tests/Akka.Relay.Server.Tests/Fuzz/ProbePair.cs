using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>
/// Two well-behaved clients exchanging numbered SENDs both ways (a window each) while the fuzz clients
/// attack the server: every message must arrive, in order, and every SEND must be acked "success send".
/// </summary>
public sealed class ProbePair
{
    private const int Window = 8;
    private readonly Side _a;
    private readonly Side _b;

    private ProbePair(Side a, Side b)
    {
        _a = a;
        _b = b;
    }

    /// <summary>Problems seen by either side (loss, reordering, a bad ack, a dropped session).</summary>
    public IReadOnlyCollection<string> Problems => _a.Problems.Concat(_b.Problems).ToArray();

    /// <summary>Messages sent by both sides.</summary>
    public long Sent => _a.Sent + _b.Sent;

    /// <summary>Messages received by both sides.</summary>
    public long Received => _a.Received + _b.Received;

    /// <summary>Connects the pair.</summary>
    public static async Task<ProbePair> StartAsync(RelayServer server, ulong aId, ulong bId, FuzzRegistry registry)
    {
        var a = new Side(await server.ConnectAsync(aId), aId, bId, registry);
        var b = new Side(await server.ConnectAsync(bId), bId, aId, registry);
        a.Start();
        b.Start();
        return new ProbePair(a, b);
    }

    /// <summary>Stops sending, waits until everything sent was received and acked, then stops reading.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        await _a.StopSendingAsync();
        await _b.StopSendingAsync();
        var deadline = DateTime.UtcNow + timeout;
        while (!(_a.Settled(_b) && _b.Settled(_a)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(Probe.PollInterval);
        }

        if (!_a.Settled(_b) || !_b.Settled(_a))
        {
            _a.Problem($"not settled after {timeout}: a sent {_a.Sent} (acked {_a.Acked}), b received {_b.Received}; b sent {_b.Sent} (acked {_b.Acked}), a received {_a.Received}");
        }

        await _a.StopReadingAsync();
        await _b.StopReadingAsync();
    }

    private sealed class Side(TestClient client, ulong me, ulong peer, FuzzRegistry registry)
    {
        private readonly SemaphoreSlim _slots = new(Window);
        private readonly CancellationTokenSource _stopSending = new();
        private readonly ConcurrentQueue<string> _problems = new();
        private volatile bool _stopReading;
        private Task? _sending;
        private Task? _reading;
        private long _sent;
        private long _acked;
        private long _received;

        public IReadOnlyCollection<string> Problems => _problems;

        public long Sent => Interlocked.Read(ref _sent);

        public long Acked => Interlocked.Read(ref _acked);

        public long Received => Interlocked.Read(ref _received);

        public bool Settled(Side other) => Acked == Sent && other.Received == Sent;

        public void Problem(string what) => _problems.Enqueue($"probe {me}: {what}");

        public void Start()
        {
            _sending = Task.Run(SendAsync);
            _reading = Task.Run(ReadAsync);
        }

        public async Task StopSendingAsync()
        {
            await _stopSending.CancelAsync();
            await _sending!;
        }

        public async Task StopReadingAsync()
        {
            _stopReading = true;
            await _reading!;
            await client.DisposeAsync();
        }

        private async Task SendAsync()
        {
            try
            {
                while (true)
                {
                    await _slots.WaitAsync(_stopSending.Token);
                    var seq = Sent;
                    await client.SendTextAsync($$"""{"type":1,"receiver":{{peer}},"seq":{{seq}},"content":"probe {{seq}}"}""");
                    Interlocked.Increment(ref _sent);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ReadAsync()
        {
            var nextSeq = 0L;
            while (!_stopReading)
            {
                Received received;
                try
                {
                    received = await client.ReceiveAsync(TimeSpan.FromMilliseconds(250));
                }
                catch (TimeoutException)
                {
                    continue;
                }
                catch (InvalidOperationException)
                {
                    Problem("the connection ended");
                    return;
                }

                if (received.IsEnd)
                {
                    Problem($"the session was closed: {received}");
                    return;
                }

                var text = received.Text!;
                if (text == Wire.SuccessSend(peer))
                {
                    Interlocked.Increment(ref _acked);
                    _slots.Release();
                    continue;
                }

                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                var sender = root.TryGetProperty("sender", out var s) && s.TryGetUInt64(out var id) ? id : ulong.MaxValue;
                if (sender == peer && root.TryGetProperty("seq", out var seqElement))
                {
                    var seq = seqElement.GetInt64();
                    if (seq != nextSeq)
                    {
                        Problem($"expected seq {nextSeq} from {peer}, got {seq} ({(seq > nextSeq ? "lost" : "out of order")})");
                    }

                    nextSeq = seq + 1;
                    Interlocked.Increment(ref _received);
                    continue;
                }

                if (sender == 0)
                {
                    Problem("unexpected system message " + text);
                    continue;
                }

                // A fuzz client's broadcast: it must be stamped with its real sender.
                registry.CheckRelayed(text, me);
            }
        }
    }
}
