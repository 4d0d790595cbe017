using System.Text;
using Akka.Relay.Protocol;

namespace Akka.Relay.Protocol.Tests;

public sealed class MessageParserTests
{
    private const ulong Me = 42;

    private static InboundMessage Parse(string json) => MessageParser.Parse(Encoding.UTF8.GetBytes(json), Me);

    private static string PayloadOf(InboundMessage message) => Encoding.UTF8.GetString(message.Payload!);

    [Fact]
    public void Send_is_routed_to_its_receiver()
    {
        var message = Parse("""{"type":1,"receiver":7,"content":"hi"}""");

        Assert.Equal(InboundKind.Send, message.Kind);
        Assert.Equal(7UL, message.Receiver);
        Assert.Null(message.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    public void Broadcast_and_announcements_are_broadcast(int type)
    {
        var message = Parse($$"""{"type":{{type}},"content":"hi"}""");

        Assert.Equal(InboundKind.Broadcast, message.Kind);
    }

    [Fact]
    public void Missing_sender_is_inserted_and_everything_else_kept()
    {
        var message = Parse("""{"type":1,"receiver":7,"content":"hi"}""");

        Assert.Equal("""{"sender":42,"type":1,"receiver":7,"content":"hi"}""", PayloadOf(message));
    }

    [Fact]
    public void Wrong_sender_is_replaced_in_place()
    {
        var message = Parse("""{"type":1, "sender" : 9 ,"receiver":7,"content":"hi"}""");

        Assert.Equal("""{"type":1, "sender" : 42 ,"receiver":7,"content":"hi"}""", PayloadOf(message));
    }

    [Fact]
    public void Correct_sender_leaves_the_bytes_unchanged()
    {
        const string json = """{"type":1,"sender":42,"receiver":7,"content":"hi"}""";

        Assert.Equal(json, PayloadOf(Parse(json)));
    }

    [Fact]
    public void Longer_and_shorter_sender_values_are_spliced_exactly()
    {
        Assert.Equal(
            """{"sender":42,"type":3}""",
            PayloadOf(Parse("""{"sender":18446744073709551615,"type":3}""")));
        Assert.Equal(
            """{"type":3,"sender":42}""",
            PayloadOf(Parse("""{"type":3,"sender":0}""")));
    }

    [Fact]
    public void Extra_fields_unicode_and_escapes_are_kept_byte_exact()
    {
        const string json = "{\"type\":1,\"receiver\":7,\"content\":\"h\u00e9llo \ud83d\udc4b \u4e2d\u6587 \\u00e9 \\\"q\\\"\",\"id\":\"m-1\",\"meta\":{\"sender\":5,\"tags\":[1,2,{\"a\":null}]},\"ts\":1.5e3}";
        var message = Parse(json);

        Assert.Equal(InboundKind.Send, message.Kind);
        var expected = Encoding.UTF8.GetBytes("{\"sender\":42," + json[1..]);
        Assert.Equal(expected, message.Payload);
    }

    [Fact]
    public void Nested_sender_fields_are_not_the_message_sender()
    {
        var message = Parse("""{"type":3,"meta":{"sender":5}}""");

        Assert.Equal("""{"sender":42,"type":3,"meta":{"sender":5}}""", PayloadOf(message));
    }

    [Fact]
    public void An_escaped_sender_key_is_recognised_and_stamped()
    {
        var message = Parse("""{"type":3,"s\u0065nder":5}""");

        Assert.Equal("""{"type":3,"s\u0065nder":42}""", PayloadOf(message));
    }

    [Theory]
    [InlineData("""{"type":3,"sender":1,"sender":2}""", "duplicate field sender")]
    [InlineData("""{"type":3,"sender":1,"s\u0065nder":2}""", "duplicate field sender")]
    [InlineData("""{"type":1,"type":3}""", "duplicate field type")]
    [InlineData("""{"type":1,"receiver":2,"receiver":3}""", "duplicate field receiver")]
    [InlineData("""{"type":3,"content":"a","content":"b"}""", "duplicate field content")]
    public void Duplicate_protocol_fields_are_refused(string json, string reason)
    {
        AssertRejected(json, reason);
    }

    [Theory]
    [InlineData("not json", ErrorReasons.InvalidJson)]
    [InlineData("", ErrorReasons.InvalidJson)]
    [InlineData("{\"type\":1", ErrorReasons.InvalidJson)]
    [InlineData("{\"type\":3} {}", ErrorReasons.InvalidJson)]
    [InlineData("{\"type\":3} x", ErrorReasons.InvalidJson)]
    [InlineData("{'type':3}", ErrorReasons.InvalidJson)]
    [InlineData("{\"\\ud800\":1,\"type\":1,\"receiver\":2,\"content\":\"x\"}", ErrorReasons.InvalidJson)]
    [InlineData("{\"type\":1,\"receiver\":2,\"\\udc00x\":1}", ErrorReasons.InvalidJson)]
    [InlineData("{\"type\":1,\"receiver\":2,\"a\\udc00b\":1}", ErrorReasons.InvalidJson)]
    [InlineData("[1,2]", ErrorReasons.NotAnObject)]
    [InlineData("\"text\"", ErrorReasons.NotAnObject)]
    [InlineData("3", ErrorReasons.NotAnObject)]
    [InlineData("{}", ErrorReasons.MissingType)]
    [InlineData("{\"content\":\"x\"}", ErrorReasons.MissingType)]
    [InlineData("{\"type\":\"1\"}", ErrorReasons.TypeNotUnsigned)]
    [InlineData("{\"type\":-1}", ErrorReasons.TypeNotUnsigned)]
    [InlineData("{\"type\":1.5}", ErrorReasons.TypeNotUnsigned)]
    [InlineData("{\"type\":1e0}", ErrorReasons.TypeNotUnsigned)]
    [InlineData("{\"type\":null}", ErrorReasons.TypeNotUnsigned)]
    [InlineData("{\"type\":18446744073709551616}", ErrorReasons.TypeNotUnsigned)]
    [InlineData("{\"type\":2,\"receiver\":1}", ErrorReasons.SystemTypeReserved)]
    [InlineData("{\"type\":7}", "unknown type 7")]
    [InlineData("{\"type\":18446744073709551615}", "unknown type 18446744073709551615")]
    [InlineData("{\"type\":1,\"content\":\"x\"}", ErrorReasons.MissingReceiver)]
    [InlineData("{\"type\":1,\"receiver\":0}", ErrorReasons.ReceiverIsServer)]
    [InlineData("{\"type\":1,\"receiver\":\"2\"}", ErrorReasons.ReceiverNotUnsigned)]
    [InlineData("{\"type\":1,\"receiver\":-2}", ErrorReasons.ReceiverNotUnsigned)]
    [InlineData("{\"type\":3,\"receiver\":{}}", ErrorReasons.ReceiverNotUnsigned)]
    [InlineData("{\"type\":1,\"receiver\":2,\"sender\":\"x\"}", ErrorReasons.SenderNotUnsigned)]
    [InlineData("{\"type\":1,\"receiver\":2,\"sender\":-1}", ErrorReasons.SenderNotUnsigned)]
    [InlineData("{\"type\":1,\"receiver\":2,\"content\":5}", ErrorReasons.ContentNotString)]
    [InlineData("{\"type\":1,\"receiver\":2,\"content\":null}", ErrorReasons.ContentNotString)]
    public void Unacceptable_messages_are_rejected_with_a_reason(string json, string reason)
    {
        AssertRejected(json, reason);
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_invalid_json()
    {
        var deep = "{\"type\":3,\"x\":" + new string('[', MessageParser.MaxDepth + 1) + new string(']', MessageParser.MaxDepth + 1) + "}";

        AssertRejected(deep, ErrorReasons.InvalidJson);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_invalid_json()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"type\":3,\"content\":\"ab\"}");
        bytes[bytes.Length - 3] = 0xC3; // lead byte followed by '"': not valid UTF-8
        var message = MessageParser.Parse(bytes, Me);

        Assert.Equal(InboundKind.Rejected, message.Kind);
        Assert.Equal(ErrorReasons.InvalidJson, message.Error);
    }

    [Fact]
    public void Whitespace_around_the_object_is_allowed_and_kept()
    {
        var message = Parse(" \n{\"type\":3} \n");

        Assert.Equal(" \n{\"sender\":42,\"type\":3} \n", PayloadOf(message));
    }

    [Fact]
    public void Receiver_of_a_broadcast_is_validated_but_not_required()
    {
        Assert.Equal(InboundKind.Broadcast, Parse("{\"type\":3,\"receiver\":5}").Kind);
        Assert.Equal(InboundKind.Broadcast, Parse("{\"type\":3}").Kind);
    }

    private static void AssertRejected(string json, string reason)
    {
        var message = Parse(json);

        Assert.Equal(InboundKind.Rejected, message.Kind);
        Assert.Equal(reason, message.Error);
        Assert.Null(message.Payload);
    }

    [Fact]
    public void A_send_exposes_its_mid()
    {
        var message = Parse("""{"type":1,"receiver":7,"mid":"m-1","content":"hi"}""");

        Assert.Equal(InboundKind.Send, message.Kind);
        Assert.Equal("m-1", message.Mid);
        Assert.Null(message.MidError);
        Assert.Equal("""{"sender":42,"type":1,"receiver":7,"mid":"m-1","content":"hi"}""", PayloadOf(message));
    }

    [Theory]
    [InlineData("""{"type":1,"receiver":7,"mid":5}""", "mid must be a string")]
    [InlineData("""{"type":1,"receiver":7,"mid":null}""", "mid must be a string")]
    [InlineData("""{"type":1,"receiver":7,"mid":{"a":1}}""", "mid must be a string")]
    [InlineData("""{"type":1,"receiver":7,"mid":""}""", "mid must be 1 to 64 characters")]
    [InlineData("""{"type":1,"receiver":7,"mid":"a","mid":"b"}""", "duplicate field mid")]
    public void A_bad_mid_has_a_reason_but_the_send_itself_is_accepted_as_in_version_1(string json, string reason)
    {
        var message = Parse(json);

        Assert.Equal(InboundKind.Send, message.Kind);
        Assert.Null(message.Error);
        Assert.Null(message.Mid);
        Assert.Equal(reason, message.MidError);
        Assert.Contains("\"mid\"", PayloadOf(message));
    }

    [Fact]
    public void Mid_length_counts_characters_not_bytes()
    {
        var longest = Parse("{\"type\":1,\"receiver\":7,\"mid\":\"" + string.Concat(Enumerable.Repeat("\u00e9", 64)) + "\"}");
        var tooLong = Parse("{\"type\":1,\"receiver\":7,\"mid\":\"" + new string('x', 65) + "\"}");
        var emoji = Parse("{\"type\":1,\"receiver\":7,\"mid\":\"" + string.Concat(Enumerable.Repeat("\ud83d\ude00", 64)) + "\"}");

        Assert.Equal(new string('\u00e9', 64), longest.Mid);
        Assert.Equal(ErrorReasons.MidLength, tooLong.MidError);
        Assert.Equal(64, emoji.Mid!.EnumerateRunes().Count());
    }

    [Fact]
    public void A_nested_mid_is_just_content()
    {
        var message = Parse("""{"type":1,"receiver":7,"meta":{"mid":5}}""");

        Assert.Null(message.Mid);
        Assert.Null(message.MidError);
    }

    [Fact]
    public void Mid_of_a_broadcast_is_not_exposed()
    {
        var message = Parse("""{"type":3,"mid":"m-1","content":"hi"}""");

        Assert.Equal(InboundKind.Broadcast, message.Kind);
        Assert.Null(message.Mid);
    }
}
