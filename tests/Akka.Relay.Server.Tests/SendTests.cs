using System.Globalization;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>docs/protocol.md §3 (SEND, acks, sender stamping) and §4 (ordering), through real sockets.</summary>
public sealed class SendTests : IClassFixture<ServerFixture>
{
    private readonly RelayServer _server;

    public SendTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    private static string N(ulong id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// SENDs as clients write them, with <c>{R}</c> standing for the receiver. Each must be delivered with only
    /// <c>sender</c> changed (or inserted), every other member byte-for-byte as sent.
    /// </summary>
    public static TheoryData<string, string> Shapes => new()
    {
        { "no sender", """{"type":1,"receiver":{R},"content":"hello i am ws1"}""" },
        { "forged sender", """{"type":1,"sender":99,"receiver":{R},"content":"hello i am ws1"}""" },
        { "sender claims the server", """{"type":1,"sender":0,"receiver":{R},"content":"i am the system"}""" },
        { "forged sender at the end", """{"type":1,"receiver":{R},"content":"x","sender":18446744073709551615}""" },
        { "extra fields", """{"type":1,"receiver":{R},"content":"hi","id":"client-msg-17","ts":1712345678901,"meta":{"a":[1,2.50,{"b":null}],"sender":7},"flag":true}""" },
        { "extra fields before the known ones", """{"id":"m-1","x":[],"content":"late type","receiver":{R},"type":1}""" },
        { "case-different Sender is just an extra field", """{"type":1,"Sender":42,"receiver":{R},"content":"c"}""" },
        { "no content", """{"type":1,"receiver":{R}}""" },
        { "empty content", """{"type":1,"receiver":{R},"content":""}""" },
        { "escapes and unicode", """{"type":1,"receiver":{R},"content":"quote \" backslash \\ slash \/ tab \t nl \n u \u00e9 \ud83d\udc4b raw é 👋 中文","id":"\u0041"}""" },
        { "numbers kept as spelled", """{"type":1,"receiver":{R},"content":"n","n1":1.0,"n2":1e3,"n3":-0,"n4":123456789012345678901234567890}""" },
        { "whitespace", " {\n\t\"type\" : 1 ,\r\n \"receiver\" :\t{R} , \"content\" : \"spaced\" \n} \n" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Send_is_delivered_with_sender_stamped_and_everything_else_kept(string name, string template)
    {
        Assert.NotEmpty(name);
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var message = template.Replace("{R}", N(r), StringComparison.Ordinal);
        await sender.SendTextAsync(message);

        Wire.AssertStamped(message, await receiver.ReceiveTextAsync(), s);
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_forged_sender_is_replaced_in_place_and_every_other_byte_is_kept()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        const string Template = " { \"type\" : 1 ,\n\t\"sender\" :  12345678901234 , \"receiver\":{R},\"content\":\"h\\u00e9\" ,\"id\":\"m-9\" } ";
        var message = Template.Replace("{R}", N(r), StringComparison.Ordinal);
        await sender.SendTextAsync(message);

        var expected = message.Replace("12345678901234", N(s), StringComparison.Ordinal);
        Assert.Equal(expected, await receiver.ReceiveTextAsync());
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_sender_that_already_matches_is_delivered_unchanged()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var message = $$"""{"content":"me","type":1,"receiver":{{r}},"sender":{{s}},"id":7}""";
        await sender.SendTextAsync(message);

        Assert.Equal(message, await receiver.ReceiveTextAsync());
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Fact]
    public async Task Send_reaches_every_session_of_the_receiver_and_is_acked_once()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var phone = await _server.ConnectAsync(r);
        await using var laptop = await _server.ConnectAsync(r);
        await using var tablet = await _server.ConnectAsync(r);

        var message = $$"""{"type":1,"sender":1,"receiver":{{r}},"content":"to all your devices","id":"multi"}""";
        await sender.SendTextAsync(message);

        foreach (var session in new[] { phone, laptop, tablet })
        {
            Wire.AssertStamped(message, await session.ReceiveTextAsync(), s);
        }

        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());

        // Exactly one ack, and exactly one copy per session: the next thing everyone sees is the next SEND.
        var next = Wire.Send(r, "second");
        await sender.SendTextAsync(next);
        foreach (var session in new[] { phone, laptop, tablet })
        {
            Wire.AssertStamped(next, await session.ReceiveTextAsync(), s);
        }

        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Send_to_a_user_without_sessions_is_acked_not_online_and_delivered_nowhere(bool maxId)
    {
        var s = Ids.Next();
        var nobody = maxId ? ulong.MaxValue : Ids.Next();
        var bystanderId = Ids.Next();
        await using var sender = await _server.ConnectAsync(s);
        await using var bystander = await _server.ConnectAsync(bystanderId);

        await sender.SendTextAsync(Wire.Send(nobody, "anyone?"));
        var ack = await sender.ReceiveTextAsync();
        Assert.Equal(Wire.NotOnline(nobody), ack);
        Assert.Equal($$"""{"type":2,"sender":0,"receiver":{{N(nobody)}},"content":"not online"}""", ack);

        // The bystander got nothing: the first thing it sees is a SEND made afterwards.
        await Probe.RoundTripAsync(sender, s, bystander, bystanderId, "after");
    }

    [Fact]
    public async Task Ack_is_exactly_the_success_send_system_message()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        await sender.SendTextAsync($$"""{"type":1,"receiver":{{r}},"content":"ack me","sender":5}""");
        await receiver.ReceiveTextAsync();

        Assert.Equal($$"""{"type":2,"sender":0,"receiver":{{N(r)}},"content":"success send"}""", await sender.ReceiveTextAsync());
    }

    [Fact]
    public async Task Send_to_self_reaches_every_own_session_including_the_sending_one_then_the_ack()
    {
        var me = Ids.Next();
        await using var first = await _server.ConnectAsync(me);
        await using var second = await _server.ConnectAsync(me);

        var message = $$"""{"type":1,"receiver":{{me}},"content":"note to self","id":"self-1"}""";
        await first.SendTextAsync(message);

        // docs/protocol.md §3: delivered to every session of the receiver, *then* the sender gets its ack.
        Wire.AssertStamped(message, await first.ReceiveTextAsync(), me);
        Assert.Equal(Wire.SuccessSend(me), await first.ReceiveTextAsync());
        Wire.AssertStamped(message, await second.ReceiveTextAsync(), me);

        // A single session to itself works too.
        var alone = Ids.Next();
        await using var single = await _server.ConnectAsync(alone);
        await Probe.RoundTripAsync(single, alone, single, alone, "just me");
    }

    [Fact]
    public async Task Messages_and_acks_keep_the_order_they_were_sent_in_over_1000_sends()
    {
        const int Count = 1000;
        var s = Ids.Next();
        var receivers = new[] { Ids.Next(), Ids.Next(), Ids.Next() };
        var offline = Ids.Next();
        await using var sender = await _server.ConnectAsync(s);
        await using var r0 = await _server.ConnectAsync(receivers[0]);
        await using var r1 = await _server.ConnectAsync(receivers[1]);
        await using var r2 = await _server.ConnectAsync(receivers[2]);
        var clients = new[] { r0, r1, r2 };

        // A fixed, irregular pattern of targets (including a user who is not online), so that
        // the sequence of acks (receiver + outcome) tells any reordering apart.
        var random = new Random(1234);
        var targets = new int[Count];
        for (var i = 0; i < Count; i++)
        {
            targets[i] = random.Next(4); // 3 = the offline user
        }

        var expectedPerReceiver = new List<string>[3] { [], [], [] };
        var expectedAcks = new List<string>(Count);
        for (var i = 0; i < Count; i++)
        {
            var target = targets[i] == 3 ? offline : receivers[targets[i]];
            var message = $$"""{"type":1,"receiver":{{target}},"content":"m-{{i}}","seq":{{i}}}""";
            if (targets[i] < 3)
            {
                expectedPerReceiver[targets[i]].Add(message);
                expectedAcks.Add(Wire.SuccessSend(target));
            }
            else
            {
                expectedAcks.Add(Wire.NotOnline(target));
            }

            await sender.SendTextAsync(message);
        }

        var receiving = Enumerable.Range(0, 3).Select(async k =>
        {
            foreach (var expected in expectedPerReceiver[k])
            {
                Wire.AssertStamped(expected, await clients[k].ReceiveTextAsync(), s);
            }
        }).ToList();

        for (var i = 0; i < Count; i++)
        {
            var ack = await sender.ReceiveTextAsync();
            Assert.True(expectedAcks[i] == ack, $"ack #{i}: expected {expectedAcks[i]}, got {ack}");
        }

        await Task.WhenAll(receiving);
    }

    [Fact]
    public async Task Two_senders_to_one_receiver_each_keep_their_own_order()
    {
        const int Count = 300;
        var (a, b, r) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        await using var bob = await _server.ConnectAsync(b);
        await using var receiver = await _server.ConnectAsync(r);

        async Task Flood(TestClient client)
        {
            for (var i = 0; i < Count; i++)
            {
                await client.SendTextAsync($$"""{"type":1,"receiver":{{r}},"content":"{{i}}"}""");
            }

            for (var i = 0; i < Count; i++)
            {
                Assert.Equal(Wire.SuccessSend(r), await client.ReceiveTextAsync());
            }
        }

        var flooding = Task.WhenAll(Flood(alice), Flood(bob));
        var next = new Dictionary<ulong, int> { [a] = 0, [b] = 0 };
        for (var i = 0; i < 2 * Count; i++)
        {
            var message = await receiver.ReceiveJsonAsync();
            var from = message.GetProperty("sender").GetUInt64();
            Assert.Contains(from, next.Keys);
            Assert.Equal(next[from].ToString(CultureInfo.InvariantCulture), message.GetProperty("content").GetString());
            next[from]++;
        }

        await flooding;
    }
}
