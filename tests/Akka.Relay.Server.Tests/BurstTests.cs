using System.Globalization;
using System.Text.Json;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// PROTOCOL.md §6: only a reader that is really behind (its socket stopped draining) is closed as a slow consumer.
/// Bursts far longer than the outbound queue reach clients that read promptly, every message in order, and a fast
/// sender is slowed down by its own acks rather than cut off.
/// </summary>
public sealed class BurstTests
{
    /// <summary>A small outbound queue, so that every burst here is many times longer than it.</summary>
    private const int Capacity = 16;

    /// <summary>Bursts are long, and a busy shared machine is slow: waits are generous.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // The memory bound stays that of the default settings (2 x 1024 x 512 bytes): bursts may pile up that much.
    private static Task<RelayServer> StartAsync() => RelayServer.StartAsync(
        ("Relay:OutboundQueueCapacity", Capacity.ToString(CultureInfo.InvariantCulture)),
        ("Relay:OutboundQueueMaxBytes", "1048576"));

    private static (ulong Sender, string Content) Read(string text)
    {
        using var document = JsonDocument.Parse(text);
        return (document.RootElement.GetProperty("sender").GetUInt64(), document.RootElement.GetProperty("content").GetString()!);
    }

    /// <summary>Receives <paramref name="count"/> messages and checks that each sender's arrive in the order sent, none missing.</summary>
    private static async Task ReceiveInOrderAsync(TestClient reader, int count, IReadOnlyList<ulong> senders, int perSender)
    {
        var next = senders.ToDictionary(s => s, _ => 0);
        for (var k = 0; k < count; k++)
        {
            var received = await reader.ReceiveAsync(Patience);
            Assert.False(received.IsEnd, $"closed after {k} of {count} messages: {received}");
            var (sender, content) = Read(received.Text!);
            Assert.Equal($"{sender}-{next[sender]}", content);
            next[sender]++;
        }

        Assert.All(senders, s => Assert.Equal(perSender, next[s]));
    }

    [Fact]
    public async Task A_fast_sender_that_reads_its_acks_is_slowed_down_not_cut_off()
    {
        const int burst = 5000;
        await using var server = await StartAsync();
        var (s, offline, peer) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var sender = await server.ConnectAsync(s);
        await using var other = await server.ConnectAsync(peer);

        // Written as fast as the socket takes them, while the acks are read as they come.
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < burst; i++)
            {
                await sender.SendTextAsync(Wire.Send(offline, "burst " + i));
            }
        });
        for (var i = 0; i < burst; i++)
        {
            var ack = await sender.ReceiveAsync(Patience);
            Assert.False(ack.IsEnd, $"the sender was closed after {i} of {burst} acks: {ack}");
            Assert.Equal(Wire.NotOnline(offline), ack.Text);
        }

        await writing.WaitAsync(Patience);
        await Probe.RoundTripAsync(sender, s, other, peer, "still open");
    }

    [Fact]
    public async Task Bursts_of_broadcasts_from_several_clients_reach_every_prompt_reader()
    {
        const int clients = 4;
        const int perSender = 400;
        await using var server = await StartAsync();
        var ids = Enumerable.Range(0, clients).Select(_ => Ids.Next()).ToList();
        var sessions = new List<TestClient>();
        try
        {
            foreach (var id in ids)
            {
                sessions.Add(await server.ConnectAsync(id));
            }

            var writing = sessions.Select((client, n) => Task.Run(async () =>
            {
                for (var i = 0; i < perSender; i++)
                {
                    await client.SendTextAsync($$"""{"type":3,"content":"{{ids[n]}}-{{i}}"}""");
                }
            })).ToList();

            // Every client, the broadcasters themselves included, gets every broadcast.
            await Task.WhenAll(sessions.Select(client => ReceiveInOrderAsync(client, clients * perSender, ids, perSender)));
            await Task.WhenAll(writing).WaitAsync(Patience);
            await Probe.RoundTripAsync(sessions[0], ids[0], sessions[^1], ids[^1], "still open");
        }
        finally
        {
            foreach (var client in sessions)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Bursts_of_sends_from_several_senders_to_one_prompt_receiver_all_arrive_and_are_acked()
    {
        const int senders = 4;
        const int perSender = 800;
        await using var server = await StartAsync();
        var r = Ids.Next();
        var ids = Enumerable.Range(0, senders).Select(_ => Ids.Next()).ToList();
        await using var receiver = await server.ConnectAsync(r);
        var sessions = new List<TestClient>();
        try
        {
            foreach (var id in ids)
            {
                sessions.Add(await server.ConnectAsync(id));
            }

            var sending = sessions.Select((client, n) => Task.Run(async () =>
            {
                var writing = Task.Run(async () =>
                {
                    for (var i = 0; i < perSender; i++)
                    {
                        await client.SendTextAsync(Wire.Send(r, $"{ids[n]}-{i}"));
                    }
                });
                for (var i = 0; i < perSender; i++)
                {
                    var ack = await client.ReceiveAsync(Patience);
                    Assert.False(ack.IsEnd, $"sender {ids[n]} was closed after {i} acks: {ack}");
                    Assert.Equal(Wire.SuccessSend(r), ack.Text);
                }

                await writing.WaitAsync(Patience);
            })).ToList();

            await ReceiveInOrderAsync(receiver, senders * perSender, ids, perSender);
            await Task.WhenAll(sending).WaitAsync(Patience);
            await Probe.RoundTripAsync(sessions[0], ids[0], receiver, r, "still open");
        }
        finally
        {
            foreach (var client in sessions)
            {
                await client.DisposeAsync();
            }
        }
    }
}
