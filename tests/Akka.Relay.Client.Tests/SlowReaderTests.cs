using System.Net.WebSockets;
using Akka.Relay.Client.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests;

/// <summary>
/// An application that stops reading: the client's buffer fills, it stops reading the socket, the server's queue for
/// the session passes its bound and the server closes it as a slow consumer. The close frame comes after the data
/// already sent, so the client reports it once the application has read up to it.
/// </summary>
public sealed class SlowReaderTests
{
    // 16 MB: far more than the kernel's socket buffers on both ends hold, so the server's queue must grow.
    private const int Messages = 40_000;

    [Theory]
    [InlineData(false, RelayConnectionState.Closed)]
    [InlineData(true, RelayConnectionState.Reconnecting)]
    public async Task A_reader_that_stops_is_closed_as_a_slow_consumer_and_reconnects_only_if_asked(bool reconnect, RelayConnectionState expected)
    {
        // The server waits for the close reply as long as the test may take: a close handshake it gave up on would end
        // in a TCP reset, which drops what the client had not read yet (the close frame with it) on a loaded machine.
        await using var server = await RelayServer.StartAsync(
            ("Relay:OutboundQueueCapacity", "16"),
            ("Relay:OutboundQueueMaxBytes", "16384"),
            ("Relay:SlowConsumerTimeout", "00:00:01"),
            ("Relay:CloseTimeout", "00:03:00"));
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await RelayClient.ConnectAsync(server.BaseUri, a);
        var states = new StateLog();
        await using var bob = await RelayClient.ConnectAsync(server.BaseUri, b, new RelayClientOptions
        {
            ReceiveBufferCapacity = 8,
            ReconnectOnSlowConsumer = reconnect,
        });
        states.Attach(bob);
        var content = new string('z', 400);

        // Nobody reads bob's messages while alice sends.
        for (var k = 0; k < Messages; k++)
        {
            var answer = await alice.SendAsync(b, content).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(answer.Outcome is SendOutcome.Delivered or SendOutcome.NotOnline, $"unexpected {answer}");
        }

        Assert.Equal(RelayConnectionState.Connected, bob.State);
        var reads = MessageCollector.Start(bob);

        var change = await states.WaitForAsync(s => s.State != RelayConnectionState.Connected, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(expected, change.State);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, change.CloseStatus);
        Assert.Equal("slow consumer", change.CloseReason);
        Assert.InRange(reads.Snapshot().Count, 1, Messages - 1);
    }
}
