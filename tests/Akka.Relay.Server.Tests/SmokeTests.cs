using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task Send_is_delivered_and_acked()
    {
        await using var server = await RelayServer.StartAsync();
        await using var alice = await server.ConnectAsync(1);
        await using var bob = await server.ConnectAsync(2);

        await alice.SendTextAsync("""{"type":1,"sender":99,"receiver":2,"content":"hello i am ws1","id":"m-1"}""");

        var delivered = await bob.ReceiveAsync();
        Assert.Equal("""{"type":1,"sender":1,"receiver":2,"content":"hello i am ws1","id":"m-1"}""", delivered.Text);
        var ack = await alice.ReceiveAsync();
        Assert.Equal("""{"type":2,"sender":0,"receiver":2,"content":"success send"}""", ack.Text);
    }
}
