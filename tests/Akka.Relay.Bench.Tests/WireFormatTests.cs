using System.Text;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Tests;

/// <summary>What the load tool reads from the protocol 1.1 frames the server sends (exact bytes as the server writes them).</summary>
public sealed class WireFormatTests
{
    private static IncomingMessage Read(string json)
    {
        Assert.True(WireFormat.TryRead(Encoding.UTF8.GetBytes(json), out var message));
        return message;
    }

    [Fact]
    public void A_stamped_message_yields_its_seq_and_the_tools_content()
    {
        var m = Read("""{"seq":7,"type":1,"sender":42,"receiver":43,"content":"5:123456:xxxx"}""");

        Assert.Equal(7, m.Seq);
        Assert.Equal(WireFormat.TypeSend, m.Type);
        Assert.Equal(42UL, m.Sender);
        Assert.Equal(ContentKind.Timed, m.Kind);
        Assert.Equal(5, m.Sequence);
        Assert.Equal(123456, m.Timestamp);
    }

    [Fact]
    public void A_message_without_seq_reads_as_seq_0()
    {
        Assert.Equal(0, Read("""{"type":1,"sender":42,"receiver":43,"content":"5:1:x"}""").Seq);
    }

    [Theory]
    [InlineData("""{"seq":0,"type":1,"sender":1,"content":"0:1:x"}""")]
    [InlineData("""{"seq":-3,"type":1,"sender":1,"content":"0:1:x"}""")]
    [InlineData("""{"seq":"4","type":1,"sender":1,"content":"0:1:x"}""")]
    [InlineData("""{"seq":1.5,"type":1,"sender":1,"content":"0:1:x"}""")]
    public void A_seq_that_is_not_a_positive_integer_reads_as_minus_1(string json)
    {
        Assert.Equal(-1, Read(json).Seq);
    }

    [Fact]
    public void The_protocol_1_1_answers_are_told_apart()
    {
        Assert.Equal(ContentKind.Stored, Read("""{"type":2,"sender":0,"receiver":43,"content":"stored"}""").Kind);
        Assert.Equal(ContentKind.InboxUnavailable, Read("""{"type":2,"sender":0,"receiver":42,"content":"error: inbox unavailable"}""").Kind);
        Assert.Equal(ContentKind.Error, Read("""{"type":2,"sender":0,"receiver":42,"content":"error: mid must be a string"}""").Kind);
        Assert.Equal(ContentKind.SuccessSend, Read("""{"type":2,"sender":0,"receiver":42,"content":"success send"}""").Kind);
        Assert.Equal(ContentKind.NotOnline, Read("""{"type":2,"sender":0,"receiver":42,"content":"not online"}""").Kind);
    }

    [Fact]
    public void A_resume_header_yields_epoch_first_last_and_gap()
    {
        var m = Read("""{"type":2,"sender":0,"receiver":43,"content":"resume","epoch":"ABCDEFGHIJKLMNOP","first":3,"last":50,"gap":true}""");

        Assert.Equal(ContentKind.Resume, m.Kind);
        Assert.Equal(new ResumeHeader("ABCDEFGHIJKLMNOP", 3, 50, true), m.Header);
    }

    [Fact]
    public void A_header_with_missing_fields_reads_them_as_unknown()
    {
        Assert.Equal(new ResumeHeader(null, -1, -1, null), Read("""{"type":2,"sender":0,"receiver":43,"content":"resume"}""").Header);
    }

    [Fact]
    public void Only_a_resume_frame_carries_a_header()
    {
        Assert.Null(Read("""{"type":2,"sender":0,"receiver":43,"content":"stored","first":1,"last":2}""").Header);
    }
}
