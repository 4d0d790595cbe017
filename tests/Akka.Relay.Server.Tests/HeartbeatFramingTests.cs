using System.Diagnostics;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §5 on the wire: the server finds a client's Pong however its bytes are cut up by TCP and whatever
/// frames come before it, and a client that answers stays connected across many pings.
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
}
