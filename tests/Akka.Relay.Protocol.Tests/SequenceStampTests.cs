using System.Text;
using System.Text.Json;
using Akka.Relay.Protocol;

namespace Akka.Relay.Protocol.Tests;

public sealed class SequenceStampTests
{
    private static string Stamp(string json, ulong seq) => Encoding.UTF8.GetString(SequenceStamp.Apply(Encoding.UTF8.GetBytes(json), seq));

    [Fact]
    public void Missing_seq_is_inserted_and_everything_else_kept()
    {
        Assert.Equal("""{"seq":3,"sender":42,"type":1,"receiver":7,"content":"hi"}""", Stamp("""{"sender":42,"type":1,"receiver":7,"content":"hi"}""", 3));
    }

    [Fact]
    public void Leading_whitespace_before_the_object_is_kept()
    {
        Assert.Equal(""" {"seq":1,"type":1}""", Stamp(""" {"type":1}""", 1));
    }

    [Theory]
    [InlineData("""{"type":1,"seq":99999999,"content":"x"}""", """{"type":1,"seq":5,"content":"x"}""")]
    [InlineData("""{"type":1,"seq" : "forged" ,"content":"x"}""", """{"type":1,"seq" : 5 ,"content":"x"}""")]
    [InlineData("""{"type":1,"seq":{"a":[1,2]},"content":"x"}""", """{"type":1,"seq":5,"content":"x"}""")]
    [InlineData("""{"type":1,"content":"x","seq":null}""", """{"type":1,"content":"x","seq":5}""")]
    [InlineData("""{"type":1,"s\u0065q":1,"content":"x"}""", """{"type":1,"s\u0065q":5,"content":"x"}""")]
    public void A_client_seq_is_replaced_whatever_its_type_or_spelling(string json, string expected)
    {
        Assert.Equal(expected, Stamp(json, 5));
    }

    [Fact]
    public void Every_duplicate_seq_is_replaced_so_no_reader_sees_the_clients_number()
    {
        var json = """{"seq":1,"type":1,"seq":2,"a":{"seq":9},"seq":3,"seq":4,"seq":5,"seq":6}""";

        Assert.Equal("""{"seq":77,"type":1,"seq":77,"a":{"seq":9},"seq":77,"seq":77,"seq":77,"seq":77}""", Stamp(json, 77));
    }

    [Fact]
    public void A_nested_seq_is_the_clients_own_and_kept()
    {
        Assert.Equal("""{"seq":2,"type":1,"meta":{"seq":9}}""", Stamp("""{"type":1,"meta":{"seq":9}}""", 2));
    }

    [Fact]
    public void The_original_bytes_are_left_untouched()
    {
        var original = """{"type":1,"seq":8,"content":"x"}"""u8.ToArray();
        var copy = original.ToArray();

        var stamped = SequenceStamp.Apply(original, 18446744073709551615);

        Assert.Equal(copy, original);
        Assert.NotSame(original, stamped);
        using var document = JsonDocument.Parse(stamped);
        Assert.Equal(18446744073709551615UL, document.RootElement.GetProperty("seq").GetUInt64());
    }
}
