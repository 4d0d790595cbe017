using System.Diagnostics;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §5 on the wire: the server finds a client's Pong however its bytes are cut up by TCP and whatever
/// frames come before it, a client that answers stays connected across many pings, and one that stopped reading is
/// dropped even while a write to it can never finish.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class HeartbeatFramingTests
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Pongs_written_a_byte_at_a_time_after_messages_with_16_bit_lengths_keep_the_session()
    {
        await using var server = await RelayServer.StartAsync(("Relay:PingInterval", "00:00:01"), ("Relay:PongTimeout", "00:00:01"));
        var (clientId, offlineId, proberId) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var client = await RawWebSocket.ConnectAsync(server.BaseUri, $"/ws/{clientId}");
        await using var prober = await server.ConnectAsync(proberId);
        var watch = Stopwatch.StartNew();

        // Every ping is answered late in its window and in pieces: first a SEND whose length needs the 16-bit
        // field, cut inside that field, then the Pong one byte per write.
        var pings = 0;
        while (pings < 5 || watch.Elapsed < 5 * PingInterval)
        {
            var frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(frame);
            if (frame.Opcode != Opcode.Ping)
            {
                // The answers to our SENDs ("not online").
                Assert.Equal(Opcode.Text, frame.Opcode);
                continue;
            }

            pings++;
            var send = client.EncodeFrame(Opcode.Text, Encoding.UTF8.GetBytes(Wire.Send(offlineId, new string('x', 300))));
            await client.SendRawAsync(send[..3]);
            await client.SendRawAsync(send[3..]);
            foreach (var b in client.EncodeFrame(Opcode.Pong, frame.Payload))
            {
                await client.SendRawAsync([b]);
            }

            Assert.True(pings < 50, "the loop should have ended long ago");
        }

        // Still registered: a SEND to it is delivered.
        await prober.SendToAsync(clientId, "still there?");
        Assert.Equal(Wire.SuccessSend(clientId), await prober.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_client_that_stopped_reading_in_the_middle_of_a_large_write_is_dropped_by_the_pong_deadline()
    {
        // Only the heartbeat can end this session: the slow-consumer bounds are far away.
        await using var server = await RelayServer.StartAsync(
            ("Relay:PingInterval", "00:00:01"),
            ("Relay:PongTimeout", "00:00:01"),
            ("Relay:MaxMessageBytes", "65536"),
            ("Relay:OutboundQueueCapacity", "100000"),
            ("Relay:OutboundQueueMaxBytes", "1000000000"),
            ("Relay:SlowConsumerTimeout", "01:00:00"));
        var (stalledId, senderId, proberId) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var stalled = await server.ConnectStalledAsync(stalledId);
        await using var sender = await server.ConnectAsync(senderId);
        await using var prober = await server.ConnectAsync(proberId);

        // Far more than the socket buffers hold: the server's write to the stalled client blocks for good.
        var content = new string('x', 60_000);
        for (var i = 0; i < 200; i++)
        {
            await sender.SendToAsync(stalledId, content);
            Assert.Equal(Wire.SuccessSend(stalledId), await sender.ReceiveTextAsync());
        }

        await Probe.UntilOfflineAsync(prober, stalledId, TimeSpan.FromSeconds(30));
    }
}
