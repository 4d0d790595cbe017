using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// A drain spreads its 1001 closes over <c>Relay:DrainSpread</c>, so a stopping node's clients do not all
/// reconnect in the same second; until its own close, every session keeps relaying, and everything acked
/// "success send" to a session is written to it before its 1001.
/// </summary>
public sealed class DrainSpreadTests
{
    private const int Sessions = 12;
    private const int MaxSendsPerSession = 2000;
    private static readonly TimeSpan Spread = TimeSpan.FromSeconds(3);

    /// <summary>What one client did and saw during the drain.</summary>
    private sealed class Ring
    {
        public required ulong Id { get; init; }

        public required ulong Next { get; init; }

        public required TestClient Client { get; init; }

        /// <summary>Sequence numbers of its SENDs to <see cref="Next"/> that were acked "success send".</summary>
        public HashSet<int> Acked { get; } = new();

        /// <summary>Sequence numbers of the SENDs it received from the previous client in the ring.</summary>
        public HashSet<int> Received { get; } = new();

        public TimeSpan ClosedAt { get; set; }

        public Received? End { get; set; }
    }

    [Fact]
    public async Task Closes_are_spread_over_the_period_and_every_session_relays_until_its_own_1001()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:DrainSpread", "00:00:03"),
            ("Relay:DrainTimeout", "00:00:30"),
            ("Relay:CloseTimeout", "00:00:10"));
        var ids = Enumerable.Range(0, Sessions).Select(_ => Ids.Next()).ToArray();
        var ring = new List<Ring>();
        for (var i = 0; i < Sessions; i++)
        {
            ring.Add(new Ring { Id = ids[i], Next = ids[(i + 1) % Sessions], Client = await server.ConnectAsync(ids[i]) });
        }

        try
        {
            // Everyone is connected and relaying before the stop.
            foreach (var member in ring)
            {
                await member.Client.SendToAsync(member.Next, "before the stop");
            }

            foreach (var member in ring)
            {
                var seen = new List<string> { await member.Client.ReceiveTextAsync(), await member.Client.ReceiveTextAsync() };
                Assert.Contains(Wire.SuccessSend(member.Next), seen);
            }

            var clock = Stopwatch.StartNew();
            var stop = server.StopAsync();
            // Each client keeps sending to the next one, one SEND per ack, until its own session is closed.
            await Task.WhenAll(ring.Select(member => Task.Run(() => TalkUntilClosedAsync(member, clock))));
            await stop;

            foreach (var member in ring)
            {
                Assert.False(member.End!.Aborted, $"session {member.Id} was aborted, not closed: {member.End}");
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, member.End.CloseStatus);
            }

            // Spread: not everyone went in the first quarter of the period, and the last close came in its second half.
            var closes = ring.Select(m => m.ClosedAt).OrderBy(t => t).ToList();
            var report = string.Join(", ", closes.Select(t => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms"));
            Assert.True(closes.Count(t => t < Spread / 4) <= Sessions / 2, $"most sessions closed in the first quarter of the spread: {report}");
            Assert.True(closes[^1] >= Spread / 2, $"the last session closed before half the spread: {report}");

            // Nothing acked was lost: every SEND acked "success send" reached its receiver before the receiver's 1001.
            foreach (var sender in ring)
            {
                var receiver = ring.Single(m => m.Id == sender.Next);
                var missing = sender.Acked.Except(receiver.Received).OrderBy(k => k).ToList();
                Assert.True(missing.Count == 0, $"{missing.Count} SENDs from {sender.Id} acked but not received by {receiver.Id} before its close: {string.Join(",", missing.Take(10))}");
            }

            // They did talk during the drain.
            Assert.True(ring.Sum(m => m.Acked.Count) > Sessions, $"only {ring.Sum(m => m.Acked.Count)} SENDs were acked during the drain");
        }
        finally
        {
            foreach (var member in ring)
            {
                await member.Client.DisposeAsync();
            }
        }
    }

    private static async Task TalkUntilClosedAsync(Ring member, Stopwatch clock)
    {
        var seq = 0;
        // Sessions of the first batch may be closed before this even starts.
        var sending = await TrySendAsync(member, seq);
        while (true)
        {
            var received = await member.Client.ReceiveAsync(TimeSpan.FromSeconds(30));
            if (received.IsEnd)
            {
                member.ClosedAt = clock.Elapsed;
                member.End = received;
                return;
            }

            using var message = JsonDocument.Parse(received.Text!);
            var root = message.RootElement;
            if (root.GetProperty("sender").GetUInt64() != 0)
            {
                // A SEND from the previous client in the ring.
                member.Received.Add(root.GetProperty("seq").GetInt32());
                continue;
            }

            // The ack of our SEND number seq.
            var content = root.GetProperty("content").GetString();
            if (content == "success send")
            {
                member.Acked.Add(seq);
            }
            else
            {
                Assert.Equal("not online", content);
                sending = false; // the next client has been closed: nobody left to talk to
            }

            seq++;
            if (sending && seq < MaxSendsPerSession)
            {
                sending = await TrySendAsync(member, seq);
            }
        }
    }

    private static async Task<bool> TrySendAsync(Ring member, int seq)
    {
        try
        {
            await member.Client.SendTextAsync(SendText(member.Next, seq));
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false; // our own close has begun: the end is on its way to the inbox
        }
    }

    private static string SendText(ulong receiver, int seq) =>
        $$"""{"type":1,"receiver":{{receiver}},"seq":{{seq}},"content":"during the drain"}""";
}
