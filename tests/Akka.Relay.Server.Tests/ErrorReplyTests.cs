using System.Globalization;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>
/// docs/protocol.md §3: a message that cannot be accepted is answered with
/// <c>{"type":2,"sender":0,"receiver":&lt;own id&gt;,"content":"error: &lt;reason&gt;"}</c>, is relayed to nobody,
/// and leaves the session open and usable.
/// </summary>
public sealed class ErrorReplyTests : IClassFixture<ServerFixture>
{
    private readonly RelayServer _server;

    public ErrorReplyTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    private static string Deep(int levels) => new string('[', levels) + new string(']', levels);

    /// <summary>
    /// Refused messages (<c>{R}</c> is an online receiver) and a word the reason must contain (case-insensitive),
    /// where the documentation does not spell the reason out.
    /// </summary>
    public static TheoryData<string, string, string> Refused => new()
    {
        // Refused types.
        { "type 2 SYSTEM", """{"type":2,"receiver":{R},"content":"i am the system"}""", "type 2" },
        { "type 2 forging an ack", """{"type":2,"sender":0,"receiver":{R},"content":"success send"}""", "type 2" },
        { "unknown type 5", """{"type":5,"receiver":{R},"content":"x"}""", "5" },
        { "unknown type 42", """{"type":42,"receiver":{R},"content":"x"}""", "42" },
        { "unknown type 2^64-1", """{"type":18446744073709551615,"receiver":{R},"content":"x"}""", "18446744073709551615" },

        // Missing or ill-typed type.
        { "missing type", """{"receiver":{R},"content":"x"}""", "type" },
        { "type as string", """{"type":"1","receiver":{R},"content":"x"}""", "type" },
        { "type as float", """{"type":1.0,"receiver":{R},"content":"x"}""", "type" },
        { "type in exponent form", """{"type":1e0,"receiver":{R},"content":"x"}""", "type" },
        { "negative type", """{"type":-1,"receiver":{R},"content":"x"}""", "type" },
        { "type over 2^64-1", """{"type":18446744073709551616,"receiver":{R},"content":"x"}""", "type" },
        { "type null", """{"type":null,"receiver":{R},"content":"x"}""", "type" },
        { "type true", """{"type":true,"receiver":{R},"content":"x"}""", "type" },
        { "type object", """{"type":{},"receiver":{R},"content":"x"}""", "type" },
        { "type array", """{"type":[1],"receiver":{R},"content":"x"}""", "type" },
        { "Type is not type", """{"Type":1,"receiver":{R},"content":"x"}""", "type" },

        // Receiver.
        { "receiver 0", """{"type":1,"receiver":0,"content":"to the server"}""", "receiver" },
        { "receiver as string", """{"type":1,"receiver":"{R}","content":"x"}""", "receiver" },
        { "negative receiver", """{"type":1,"receiver":-{R},"content":"x"}""", "receiver" },
        { "receiver as float", """{"type":1,"receiver":{R}.0,"content":"x"}""", "receiver" },
        { "receiver over 2^64-1", """{"type":1,"receiver":18446744073709551616,"content":"x"}""", "receiver" },
        { "receiver null", """{"type":1,"receiver":null,"content":"x"}""", "receiver" },
        { "receiver array", """{"type":1,"receiver":[{R}],"content":"x"}""", "receiver" },

        // Sender (it is replaced anyway, but a wrong type is still refused).
        { "sender as string", """{"type":1,"sender":"{R}","receiver":{R},"content":"x"}""", "sender" },
        { "negative sender", """{"type":1,"sender":-1,"receiver":{R},"content":"x"}""", "sender" },
        { "sender as float", """{"type":1,"sender":1.5,"receiver":{R},"content":"x"}""", "sender" },
        { "sender null", """{"type":1,"sender":null,"receiver":{R},"content":"x"}""", "sender" },

        // Content.
        { "content as number", """{"type":1,"receiver":{R},"content":5}""", "content" },
        { "content null", """{"type":1,"receiver":{R},"content":null}""", "content" },
        { "content object", """{"type":1,"receiver":{R},"content":{"text":"x"}}""", "content" },
        { "content array", """{"type":1,"receiver":{R},"content":["x"]}""", "content" },
        { "broadcast with content as number", """{"type":3,"content":5}""", "content" },
        { "announcement with content true", """{"type":0,"content":true}""", "content" },
        { "broadcast with receiver as string", """{"type":3,"receiver":"x","content":"x"}""", "receiver" },

        // Duplicates of the known fields.
        { "duplicate type", """{"type":1,"type":3,"receiver":{R},"content":"x"}""", "duplicate" },
        { "duplicate receiver", """{"type":1,"receiver":{R},"receiver":{R},"content":"x"}""", "duplicate" },
        { "duplicate content", """{"type":1,"receiver":{R},"content":"x","content":"y"}""", "duplicate" },

        // Not JSON, or not a JSON object.
        { "truncated", """{"type":1,"receiver":{R},"content":"x""", "json" },
        { "plain text", "hello", "json" },
        { "empty message", string.Empty, "json" },
        { "only whitespace", " \n ", "json" },
        { "unquoted keys", """{type:1,receiver:{R},content:"x"}""", "json" },
        { "single quotes", """{'type':1,'receiver':{R},'content':'x'}""", "json" },
        { "trailing comma", """{"type":1,"receiver":{R},"content":"x",}""", "json" },
        { "trailing garbage", """{"type":1,"receiver":{R},"content":"x"}}""", "json" },
        { "two objects", """{"type":1,"receiver":{R},"content":"x"} {"type":1,"receiver":{R},"content":"y"}""", "json" },
        { "comment", """{"type":1,"receiver":{R},/* hi */"content":"x"}""", "json" },
        { "bad escape", """{"type":1,"receiver":{R},"content":"\x"}""", "json" },
        { "control character in string", "{\"type\":1,\"receiver\":{R},\"content\":\"a\u0001b\"}", "json" },
        { "key with a lone surrogate escape", """{"\ud800":1,"type":1,"receiver":{R},"content":"x"}""", "json" },
        { "key with a lone low surrogate escape", """{"type":1,"receiver":{R},"a\udc00b":2,"content":"x"}""", "json" },
        { "nested too deeply", "{\"type\":1,\"receiver\":{R},\"content\":\"x\",\"deep\":" + Deep(40) + "}", "json" },
        { "array", """[{"type":1,"receiver":{R},"content":"x"}]""", "object" },
        { "string", "\"{\\\"type\\\":1}\"", "object" },
        { "number", "42", "object" },
        { "null", "null", "object" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Refused_message_gets_an_error_reply_reaches_nobody_and_the_session_stays_usable(string name, string template, string mentions)
    {
        Assert.NotEmpty(name);
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        await sender.SendTextAsync(template.Replace("{R}", r.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var reason = Wire.AssertErrorReply(await sender.ReceiveTextAsync(), s);
        Assert.Contains(mentions, reason, StringComparison.OrdinalIgnoreCase);

        // Nothing was relayed (the first thing the receiver gets is the next SEND), and the session works.
        await Probe.RoundTripAsync(sender, s, receiver, r, "still here");
        await Probe.RoundTripAsync(receiver, r, sender, s, "and back");
    }

    /// <summary>Reasons docs/protocol.md §3 spells out exactly.</summary>
    public static TheoryData<string, string> Named => new()
    {
        { """{"type":1,"content":"to whom?"}""", "missing receiver" },
        { """{"content":"to whom?","type":1,"id":"x-1"}""", "missing receiver" },
        { """{"type":1,"sender":5,"sender":6,"receiver":{R},"content":"x"}""", "duplicate field sender" },
        { """{"type":1,"sender":5,"receiver":{R},"s\u0065nder":6,"content":"x"}""", "duplicate field sender" },
        { """{"type":1,"\u0073ender":5,"receiver":{R},"sender":6,"content":"x"}""", "duplicate field sender" },
    };

    [Theory]
    [MemberData(nameof(Named))]
    public async Task Documented_reasons_are_sent_exactly(string template, string reason)
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        await sender.SendTextAsync(template.Replace("{R}", r.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var reply = await sender.ReceiveTextAsync();
        Assert.Equal(reason, Wire.AssertErrorReply(reply, s));
        Assert.Equal($$"""{"type":2,"sender":0,"receiver":{{s}},"content":"error: {{reason}}"}""", reply);

        await Probe.RoundTripAsync(sender, s, receiver, r, "still here");
    }

    [Fact]
    public async Task Many_refused_messages_in_a_row_are_each_answered_and_the_session_survives()
    {
        var (s, r, offline) = (Ids.Next(), Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        // Bad and good messages interleaved. Each gets its own answer: the error replies come in the order of
        // the bad messages, the acks in the order of the SENDs (docs/protocol.md §4 orders acks among themselves;
        // it does not say how an error reply and the ack of an earlier SEND are ordered with each other).
        var expectedErrors = new List<string>();
        var expectedAcks = new List<string>();
        var relayed = new List<string>();
        for (var i = 0; i < 120; i++)
        {
            switch (i % 5)
            {
                case 0:
                    await sender.SendTextAsync("not json " + i);
                    expectedErrors.Add("json");
                    break;
                case 1:
                    await sender.SendTextAsync($$"""{"type":2,"receiver":{{r}},"content":"{{i}}"}""");
                    expectedErrors.Add("type 2");
                    break;
                case 2:
                    var message = Wire.Send(r, i.ToString(CultureInfo.InvariantCulture));
                    await sender.SendTextAsync(message);
                    relayed.Add(message);
                    expectedAcks.Add(Wire.SuccessSend(r));
                    break;
                case 3:
                    await sender.SendTextAsync("""{"type":1,"content":"no receiver"}""");
                    expectedErrors.Add("missing receiver");
                    break;
                default:
                    await sender.SendTextAsync(Wire.Send(offline, "x"));
                    expectedAcks.Add(Wire.NotOnline(offline));
                    break;
            }
        }

        var errors = new List<string>();
        var acks = new List<string>();
        while (errors.Count < expectedErrors.Count || acks.Count < expectedAcks.Count)
        {
            var reply = await sender.ReceiveTextAsync();
            if (reply.Contains("\"content\":\"error: ", StringComparison.Ordinal))
            {
                errors.Add(Wire.AssertErrorReply(reply, s));
            }
            else
            {
                acks.Add(reply);
            }
        }

        Assert.Equal(expectedAcks, acks);
        Assert.Equal(expectedErrors.Count, errors.Count);
        for (var i = 0; i < errors.Count; i++)
        {
            Assert.True(errors[i].Contains(expectedErrors[i], StringComparison.OrdinalIgnoreCase), $"error reply #{i} is '{errors[i]}', expected one about '{expectedErrors[i]}'");
        }

        // Only the good ones were relayed, in order.
        foreach (var message in relayed)
        {
            Wire.AssertStamped(message, await receiver.ReceiveTextAsync(), s);
        }

        await Probe.RoundTripAsync(sender, s, receiver, r, "the end");
    }

    [Fact]
    public async Task Extra_fields_nested_within_the_depth_limit_are_accepted()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var message = $$"""{"type":1,"receiver":{{r}},"content":"x","deep":{{Deep(20)}}}""";
        await sender.SendTextAsync(message);

        Wire.AssertStamped(message, await receiver.ReceiveTextAsync(), s);
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Fact]
    public async Task Error_reply_is_sent_to_the_offending_session_only()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var offender = await _server.ConnectAsync(s);
        await using var sibling = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        await offender.SendBytesAsync(Encoding.UTF8.GetBytes("""{"type":1,"content":"no receiver"}"""));
        Assert.Equal("missing receiver", Wire.AssertErrorReply(await offender.ReceiveTextAsync(), s));

        // The sibling session of the same user saw nothing: its first message is a later SEND.
        await Probe.RoundTripAsync(receiver, r, sibling, s, "first for the sibling");
    }
}
