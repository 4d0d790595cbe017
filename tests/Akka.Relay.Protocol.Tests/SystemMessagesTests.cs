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
}
