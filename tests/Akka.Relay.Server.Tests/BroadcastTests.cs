using System.Globalization;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §3: BROADCAST (3) and the CONNECT (0) / CLOSE (4) announcements reach every open session,
/// the sender's own included, stamped and otherwise unchanged, and are never acked.
/// The tests of this class share one server and run one after another; each closes its sessions
/// before the next starts, so every session on the server belongs to the running test.
/// </summary>
public sealed class BroadcastTests : IClassFixture<ServerFixture>
{
    private readonly RelayServer _server;

    public BroadcastTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    public static TheoryData<int, string> Announcements => new()
    {
        { 3, """{"type":3,"content":"hello everyone"}""" },
        { 3, """{"type":3,"sender":99,"content":"forged sender","id":"b-1","meta":{"x":[1,2,{"y":null}]}}""" },
        { 3, """{"content":"receiver kept as sent","receiver":12345,"type":3,"sender":0}""" },
        { 3, """{"type":3}""" },
        { 3, """{ "type" : 3 , "content" : "spaced \u00e9 👋" , "ts" : 1.50 }""" },
        { 0, """{"type":0,"content":"i am online"}""" },
        { 0, """{"type":0,"sender":1,"receiver":2,"content":"connect announcement","id":"c-1"}""" },
        { 4, """{"type":4,"content":"i am leaving"}""" },
        { 4, """{"type":4,"sender":18446744073709551615,"content":"close announcement","id":"c-2"}""" },
    };

    [Theory]
    [MemberData(nameof(Announcements))]
    public async Task Broadcast_reaches_every_session_including_the_senders_own_and_is_not_acked(int type, string message)
    {
        Assert.Contains(type.ToString(CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        var (a, b, c) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var a1 = await _server.ConnectAsync(a);
        await using var a2 = await _server.ConnectAsync(a);
        await using var b1 = await _server.ConnectAsync(b);
        await using var b2 = await _server.ConnectAsync(b);
        await using var c1 = await _server.ConnectAsync(c);

        await a1.SendTextAsync(message);

        foreach (var session in new[] { a1, a2, b1, b2, c1 })
        {
            Wire.AssertStamped(message, await session.ReceiveTextAsync(), a);
        }

        // No ack, and one copy per session: what comes next everywhere is what is sent next.
        var send = Wire.Send(c, "after the broadcast");
        await a1.SendTextAsync(send);
        Wire.AssertStamped(send, await c1.ReceiveTextAsync(), a);
        Assert.Equal(Wire.SuccessSend(c), await a1.ReceiveTextAsync());

        var fence = """{"type":3,"content":"fence"}""";
        await b1.SendTextAsync(fence);
        foreach (var session in new[] { a1, a2, b1, b2, c1 })
        {
            Wire.AssertStamped(fence, await session.ReceiveTextAsync(), b);
        }
    }

    [Fact]
    public async Task Broadcast_with_nobody_else_connected_reaches_only_the_sender()
    {
        var (me, nobody) = (Ids.Next(), Ids.Next());
        await using var alone = await _server.ConnectAsync(me);

        var message = """{"type":3,"content":"echo?"}""";
        await alone.SendTextAsync(message);
        Wire.AssertStamped(message, await alone.ReceiveTextAsync(), me);

        // Nothing else (no ack) came before the answer to the next SEND.
        await alone.SendTextAsync(Wire.Send(nobody, "x"));
        Assert.Equal(Wire.NotOnline(nobody), await alone.ReceiveTextAsync());
    }

    [Fact]
    public async Task Broadcasts_from_one_session_arrive_everywhere_in_the_order_sent()
    {
        const int Count = 200;
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(a);
        await using var other = await _server.ConnectAsync(b);
        await using var sibling = await _server.ConnectAsync(a);

        for (var i = 0; i < Count; i++)
        {
            await sender.SendTextAsync($$"""{"type":{{(i % 3 == 0 ? 0 : i % 3 == 1 ? 3 : 4)}},"content":"{{i}}"}""");
        }

        foreach (var session in new[] { sender, other, sibling })
        {
            for (var i = 0; i < Count; i++)
            {
                var received = await session.ReceiveJsonAsync();
                Assert.Equal(a, received.GetProperty("sender").GetUInt64());
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), received.GetProperty("content").GetString());
            }
        }
    }

    [Fact]
    public async Task Broadcasts_and_sends_interleave_in_the_order_sent()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(a);
        await using var receiver = await _server.ConnectAsync(b);

        var sent = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var message = i % 2 == 0
                ? $$"""{"type":3,"content":"b{{i}}"}"""
                : $$"""{"type":1,"receiver":{{b}},"content":"s{{i}}"}""";
            sent.Add(message);
            await sender.SendTextAsync(message);
        }

        // The receiver sees both kinds in the order sent; the sender sees its broadcasts and the acks in order.
        foreach (var message in sent)
        {
            Wire.AssertStamped(message, await receiver.ReceiveTextAsync(), a);
        }

        foreach (var message in sent)
        {
            if (message.Contains("\"type\":3", StringComparison.Ordinal))
            {
                Wire.AssertStamped(message, await sender.ReceiveTextAsync(), a);
            }
            else
            {
                Assert.Equal(Wire.SuccessSend(b), await sender.ReceiveTextAsync());
            }
        }
    }
}
