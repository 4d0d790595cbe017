using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Cluster.Tests.Infrastructure;

/// <summary>
/// Pairs of users sending to each other without pause while the cluster changes under them: each sender SENDs
/// numbered messages one after another (the next once the previous is answered), each receiver checks that they
/// arrive once each and in order. Every answer and how long it took is recorded.
/// </summary>
public sealed class PairTraffic : IAsyncDisposable
{
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(20);
    private readonly List<Pair> _pairs;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Task> _loops = new();

    private PairTraffic(List<Pair> pairs)
    {
        _pairs = pairs;
    }

    /// <summary>Time since the traffic started, the clock of <see cref="Answer.SentAt"/>.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Connects <paramref name="count"/> pairs, senders on <paramref name="from"/> and receivers on <paramref name="to"/> (and as many the other way), and starts them.</summary>
    public static async Task<PairTraffic> StartAsync(ServerProcess from, ServerProcess to, int count, TimeSpan connectTimeout)
    {
        var pairs = new List<Pair>();
        for (var i = 0; i < count; i++)
        {
            var (senderNode, receiverNode) = i % 2 == 0 ? (from, to) : (to, from);
            var (senderId, receiverId) = (Ids.Next(), Ids.Next());
            var receiver = await ProcessProbes.ConnectWhenUpAsync(receiverNode, receiverId, connectTimeout);
            var sender = await ProcessProbes.ConnectWhenUpAsync(senderNode, senderId, connectTimeout);
            pairs.Add(new Pair(senderId, sender, receiverId, receiver));
        }

        var traffic = new PairTraffic(pairs);
        foreach (var pair in pairs)
        {
            traffic._loops.Add(Task.Run(() => traffic.SendAsync(pair)));
            traffic._loops.Add(Task.Run(() => traffic.ReceiveAsync(pair)));
        }

        return traffic;
    }

    /// <summary>Waits until every sender has had <paramref name="more"/> more answers than now.</summary>
    public async Task UntilEachAnsweredAsync(int more, TimeSpan timeout)
    {
        var targets = _pairs.Select(p => p.AnswerCount + more).ToArray();
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (_pairs.Select((p, i) => p.AnswerCount < targets[i]).Any(behind => behind))
        {
            ThrowIfFailed();
            Assert.True(watch.Elapsed < timeout, $"senders did not get {more} more answers within {timeout}: {Describe()}");
            await timer.WaitForNextTickAsync();
        }

        ThrowIfFailed();
    }

    /// <summary>Stops sending, waits for the last answers and messages, and returns every answer.</summary>
    public async Task<IReadOnlyList<Answer>> StopAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the last answers or messages did not arrive within {timeout}: {Describe()}");
        }

        var answers = _pairs.SelectMany(p => p.Answers).ToList();
        foreach (var pair in _pairs)
        {
            Assert.True(pair.Received == pair.Sent, $"user {pair.ReceiverId} received {pair.Received} of {pair.Sent} messages");
        }

        return answers;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var pair in _pairs)
        {
            await pair.Sender.DisposeAsync();
            await pair.Receiver.DisposeAsync();
        }

        _stop.Dispose();
    }

    private string Describe() => string.Join(", ", _pairs.Select(p => $"{p.SenderId}->{p.ReceiverId}: {p.AnswerCount} answered, {p.Received} received"));

    private void ThrowIfFailed()
    {
        var failed = _loops.FirstOrDefault(t => t.IsFaulted);
        if (failed is not null)
        {
            failed.GetAwaiter().GetResult();
        }
    }

    private async Task SendAsync(Pair pair)
    {
        using var pace = new PeriodicTimer(Pace);
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var sentAt = _clock.Elapsed;
            await pair.Sender.SendTextAsync(Wire.Send(pair.ReceiverId, n.ToString(CultureInfo.InvariantCulture)));
            Interlocked.Increment(ref pair.Sent);
            // Generous: a crashed node's shards take tens of seconds to move on a loaded machine.
            var ack = await pair.Sender.ReceiveTextAsync(TimeSpan.FromSeconds(90));
            lock (pair.Answers)
            {
                pair.Answers.Add(new Answer(pair.SenderId, pair.ReceiverId, n, ack, sentAt, _clock.Elapsed - sentAt));
            }

            await pace.WaitForNextTickAsync();
        }
    }

    private async Task ReceiveAsync(Pair pair)
    {
        var expected = 0;
        while (!_stop.IsCancellationRequested || expected < Volatile.Read(ref pair.Sent))
        {
            string text;
            try
            {
                text = await pair.Receiver.ReceiveTextAsync(TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                continue; // Nothing yet; StopAsync bounds how long the last messages may take.
            }

            using var message = JsonDocument.Parse(text);
            var content = message.RootElement.GetProperty("content").GetString();
            Assert.True(content == expected.ToString(CultureInfo.InvariantCulture), $"user {pair.ReceiverId} received message '{content}' where {expected} was next (a duplicate or out of order)");
            Assert.Equal(pair.SenderId, message.RootElement.GetProperty("sender").GetUInt64());
            expected++;
            Interlocked.Increment(ref pair.Received);
        }
    }

    /// <summary>One answer a sender read.</summary>
    /// <param name="SenderId">The sending user.</param>
    /// <param name="ReceiverId">The receiving user.</param>
    /// <param name="Number">The SEND's number in its pair.</param>
    /// <param name="Text">The answer as read.</param>
    /// <param name="SentAt">When the SEND was written, on the traffic's clock.</param>
    /// <param name="Took">From writing the SEND to reading its answer.</param>
    public sealed record Answer(ulong SenderId, ulong ReceiverId, int Number, string Text, TimeSpan SentAt, TimeSpan Took);

    private sealed class Pair(ulong senderId, TestClient sender, ulong receiverId, TestClient receiver)
    {
        public int Sent;
        public int Received;

        public ulong SenderId { get; } = senderId;

        public TestClient Sender { get; } = sender;

        public ulong ReceiverId { get; } = receiverId;

        public TestClient Receiver { get; } = receiver;

        public List<Answer> Answers { get; } = new();

        public int AnswerCount
        {
            get
            {
                lock (Answers)
                {
                    return Answers.Count;
                }
            }
        }
    }
}
