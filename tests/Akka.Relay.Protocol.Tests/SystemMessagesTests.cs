using System.Text;
using System.Text.Json;
using Akka.Relay.Protocol;

namespace Akka.Relay.Protocol.Tests;

public sealed class SystemMessagesTests
{
    [Fact]
    public void Success_send_is_encoded_exactly()
    {
        Assert.Equal(
            """{"type":2,"sender":0,"receiver":2,"content":"success send"}""",
            Encoding.UTF8.GetString(SystemMessages.SuccessSend(2)));
    }

    [Fact]
    public void Not_online_is_encoded_exactly()
    {
        Assert.Equal(
            """{"type":2,"sender":0,"receiver":18446744073709551615,"content":"not online"}""",
            Encoding.UTF8.GetString(SystemMessages.NotOnline(ulong.MaxValue)));
    }

    [Fact]
    public void Error_carries_the_reason_to_the_own_id()
    {
        Assert.Equal(
            """{"type":2,"sender":0,"receiver":42,"content":"error: missing receiver"}""",
            Encoding.UTF8.GetString(SystemMessages.Error(42, ErrorReasons.MissingReceiver)));
    }

    [Fact]
    public void Error_reasons_are_json_escaped()
    {
        var encoded = SystemMessages.Error(1, "a \"quoted\" \\ reason\n");

        using var document = JsonDocument.Parse(encoded);
        Assert.Equal("error: a \"quoted\" \\ reason\n", document.RootElement.GetProperty("content").GetString());
    }

    [Fact]
    public void Acks_parse_as_system_messages()
    {
        using var document = JsonDocument.Parse(SystemMessages.SuccessSend(12345));
        var root = document.RootElement;

        Assert.Equal(2, root.GetProperty("type").GetInt32());
        Assert.Equal(0UL, root.GetProperty("sender").GetUInt64());
        Assert.Equal(12345UL, root.GetProperty("receiver").GetUInt64());
    }
    [Fact]
    public void Notice_to_a_user_is_encoded_exactly()
    {
        Assert.Equal(
            """{"type":2,"sender":0,"receiver":7,"content":"maintenance at 22:00"}""",
            Encoding.UTF8.GetString(SystemMessages.Notice(7, "maintenance at 22:00")));
    }

    [Fact]
    public void Broadcast_notice_has_no_receiver()
    {
        Assert.Equal(
            """{"type":2,"sender":0,"content":"hello everyone"}""",
            Encoding.UTF8.GetString(SystemMessages.BroadcastNotice("hello everyone")));
    }

    [Fact]
    public void Notice_content_is_json_escaped_and_keeps_unicode_as_utf8()
    {
        const string content = "a \"quoted\" \\ line\n\u0001 <b>&</b> é 日本 😀";
        var encoded = SystemMessages.Notice(3, content);

        using var document = JsonDocument.Parse(encoded);
        Assert.Equal(content, document.RootElement.GetProperty("content").GetString());
        // Relaxed escaping: text of the Basic Multilingual Plane is sent as UTF-8, not as \uXXXX
        // (the encoder still escapes characters beyond it, such as emoji, as surrogate pairs).
        Assert.Contains("é 日本", Encoding.UTF8.GetString(encoded), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_server_message_is_recognised_as_a_system_message()
    {
        Assert.True(SystemMessages.IsSystemMessage(SystemMessages.SuccessSend(1)));
        Assert.True(SystemMessages.IsSystemMessage(SystemMessages.NotOnline(1)));
        Assert.True(SystemMessages.IsSystemMessage(SystemMessages.Error(1, ErrorReasons.InvalidJson)));
        Assert.True(SystemMessages.IsSystemMessage(SystemMessages.Notice(1, "x")));
        Assert.True(SystemMessages.IsSystemMessage(SystemMessages.BroadcastNotice("x")));
    }

    [Fact]
    public void A_stamped_client_message_is_never_a_system_message()
    {
        // The client tries to look like the server; the parser refuses type 2 and replaces the sender.
        var forged = MessageParser.Parse("""{"type":2,"sender":0,"receiver":5,"content":"success send"}"""u8, 9);
        Assert.Equal(InboundKind.Rejected, forged.Kind);

        var stamped = MessageParser.Parse("""{"type":1,"sender":0,"receiver":5,"content":"x"}"""u8, 9);
        Assert.False(SystemMessages.IsSystemMessage(stamped.Payload));
        var inserted = MessageParser.Parse("""{"type":3,"content":"x"}"""u8, 9);
        Assert.False(SystemMessages.IsSystemMessage(inserted.Payload));
    }

    [Theory]
    [InlineData("success send", true)]
    [InlineData("not online", true)]
    [InlineData("error: anything", true)]
    [InlineData("stored", true)]
    [InlineData("resume", true)]
    [InlineData("stored away", false)]
    [InlineData("Success send", false)]
    [InlineData("errors are fine here", false)]
    [InlineData("maintenance at 22:00", false)]
    public void Ack_and_error_texts_are_reserved(string content, bool reserved)
    {
        Assert.Equal(reserved, SystemMessages.IsReservedContent(content));
    }

    [Fact]
    public void Stored_is_the_exact_ack()
    {
        Assert.Equal("""{"type":2,"sender":0,"receiver":7,"content":"stored"}""", Encoding.UTF8.GetString(SystemMessages.Stored(7)));
    }

    [Fact]
    public void Inbox_unavailable_is_an_error_reply_to_the_sender()
    {
        var expected = """{"type":2,"sender":0,"receiver":42,"content":"error: inbox unavailable"}""";

        Assert.Equal(expected, Encoding.UTF8.GetString(SystemMessages.InboxUnavailable(42)));
        Assert.Equal(expected, Encoding.UTF8.GetString(SystemMessages.Error(42, ErrorReasons.InboxUnavailable)));
    }

    [Theory]
    [InlineData(5UL, "AB12", 1UL, 0UL, false, """{"type":2,"sender":0,"receiver":5,"content":"resume","epoch":"AB12","first":1,"last":0,"gap":false}""")]
    [InlineData(18446744073709551615UL, "k3j5h2m4n6p7q8r9", 18446744073709551615UL, 18446744073709551614UL, true,
        """{"type":2,"sender":0,"receiver":18446744073709551615,"content":"resume","epoch":"k3j5h2m4n6p7q8r9","first":18446744073709551615,"last":18446744073709551614,"gap":true}""")]
    public void Resume_header_has_the_exact_bytes(ulong user, string epoch, ulong first, ulong last, bool gap, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(SystemMessages.ResumeHeader(user, epoch, first, last, gap)));
    }

    [Fact]
    public void Resume_header_is_valid_json_whatever_the_epoch_holds()
    {
        var frame = SystemMessages.ResumeHeader(5, "a\"b", 1, 0, false);

        using var document = System.Text.Json.JsonDocument.Parse(frame);
        Assert.Equal("a\"b", document.RootElement.GetProperty("epoch").GetString());
    }
}
