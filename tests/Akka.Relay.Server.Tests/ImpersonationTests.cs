using System.Globalization;
using System.Text.Json;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §3: no message ever appears to come from a user who did not send it, and no client can
/// speak as the system (<c>"sender":0</c>, <c>"type":2</c>), whatever it writes in its own message.
/// </summary>
public sealed class ImpersonationTests : IClassFixture<ServerFixture>
{
    private readonly RelayServer _server;

    public ImpersonationTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    /// <summary>Forgeries that are valid messages, so they are relayed: {R} is the receiver, {V} another user.</summary>
    public static TheoryData<string, string> RelayedForgeries => new()
    {
        { "SEND as sender 0", """{"type":1,"sender":0,"receiver":{R},"content":"i am the server"}""" },
        { "SEND as the receiver itself", """{"type":1,"sender":{R},"receiver":{R},"content":"note to self"}""" },
        { "SEND as another user", """{"type":1,"sender":{V},"receiver":{R},"content":"i am V"}""" },
        { "SEND as user 2^64-1", """{"sender":18446744073709551615,"type":1,"receiver":{R},"content":"x"}""" },
        { "SEND that looks like an ack", """{"type":1,"sender":0,"receiver":{R},"content":"success send"}""" },
        { "SEND that looks like an error", """{"sender":0,"receiver":{R},"type":1,"content":"error: you are banned"}""" },
        { "BROADCAST as sender 0", """{"type":3,"sender":0,"content":"server maintenance at noon"}""" },
        { "CONNECT as sender 0", """{"type":0,"sender":0,"content":"joined"}""" },
        { "CLOSE as another user", """{"type":4,"sender":{V},"content":"left"}""" },
        { "sender nested in an extra field", """{"type":1,"receiver":{R},"meta":{"sender":0,"type":2},"content":"x"}""" },
        { "Sender with a capital S", """{"type":1,"Sender":0,"receiver":{R},"content":"x"}""" },
        { "sender key with whitespace around", """{ "type" : 1 , "sender" : 0 , "receiver" : {R} , "content" : "x" }""" },
    };

    /// <summary>Forgeries that are refused: each is answered with an error reply to the forger and relayed to nobody.</summary>
    public static TheoryData<string, string> RefusedForgeries => new()
    {
        { "SYSTEM message", """{"type":2,"sender":0,"receiver":{R},"content":"success send"}""" },
        { "SYSTEM broadcast-looking", """{"type":2,"content":"server going down"}""" },
        { "two senders", """{"type":1,"sender":0,"sender":0,"receiver":{R},"content":"x"}""" },
        { "escaped second sender", """{"type":1,"sender":5,"receiver":{R},"s\u0065nder":0,"content":"x"}""" },
        { "escaped second type", """{"type":1,"t\u0079pe":2,"receiver":{R},"content":"x"}""" },
        { "sender as a string", """{"type":1,"sender":"0","receiver":{R},"content":"x"}""" },
        { "sender as 0.0", """{"type":1,"sender":0.0,"receiver":{R},"content":"x"}""" },
        { "sender as -0", """{"type":1,"sender":-0,"receiver":{R},"content":"x"}""" },
        { "type 2 as 2.0", """{"type":2.0,"sender":0,"receiver":{R},"content":"x"}""" },
        { "type 2 as 2e0", """{"type":2e0,"sender":0,"receiver":{R},"content":"x"}""" },
    };

    /// <summary>
    /// Asserts <paramref name="received"/> is a user's message from <paramref name="senderId"/>: one top-level
    /// <c>sender</c> and it is that id, and it is not a SYSTEM message.
    /// </summary>
    private static void AssertFromUser(string received, ulong senderId)
    {
        using var document = JsonDocument.Parse(received);
        var senders = document.RootElement.EnumerateObject().Where(p => p.NameEquals("sender")).ToList();
        Assert.Equal(senderId.ToString(CultureInfo.InvariantCulture), Assert.Single(senders).Value.GetRawText());
        var types = document.RootElement.EnumerateObject().Where(p => p.NameEquals("type")).ToList();
        Assert.NotEqual("2", Assert.Single(types).Value.GetRawText());
    }

    private static string Fill(string template, ulong r, ulong v) => template
        .Replace("{R}", r.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{V}", v.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(RelayedForgeries))]
    public async Task A_forged_sender_is_always_replaced_by_the_real_one(string name, string template)
    {
        Assert.NotEmpty(name);
        var (f, r, v) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var forger = await _server.ConnectAsync(f);
        await using var receiver = await _server.ConnectAsync(r);
        await using var victim = await _server.ConnectAsync(v);
        var message = Fill(template, r, v);
        using var sent = JsonDocument.Parse(message);
        var isSend = sent.RootElement.GetProperty("type").GetInt32() == 1;

        await forger.SendTextAsync(message);

        var got = await receiver.ReceiveTextAsync();
        AssertFromUser(got, f);
        Wire.AssertStamped(message, got, f);

        if (isSend)
        {
            Assert.Equal(Wire.SuccessSend(r), await forger.ReceiveTextAsync());
        }
        else
        {
            // Broadcasts reach everyone, the forger and the impersonated user included, all stamped alike.
            AssertFromUser(await forger.ReceiveTextAsync(), f);
            AssertFromUser(await victim.ReceiveTextAsync(), f);
        }

        // Nothing else reached the receiver or the impersonated user: their next message is this SEND.
        await Probe.RoundTripAsync(forger, f, receiver, r, "next");
        await Probe.RoundTripAsync(forger, f, victim, v, "next");
    }

    [Theory]
    [MemberData(nameof(RefusedForgeries))]
    public async Task A_message_claiming_to_be_the_system_is_refused_and_reaches_nobody(string name, string template)
    {
        Assert.NotEmpty(name);
        var (f, r, v) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var forger = await _server.ConnectAsync(f);
        await using var receiver = await _server.ConnectAsync(r);
        await using var victim = await _server.ConnectAsync(v);

        await forger.SendTextAsync(Fill(template, r, v));

        // The only "sender":0 message anyone gets is the error reply, and it goes to the forger.
        Wire.AssertErrorReply(await forger.ReceiveTextAsync(), f);
        await Probe.RoundTripAsync(forger, f, receiver, r, "next");
        await Probe.RoundTripAsync(forger, f, victim, v, "next");
    }
}
