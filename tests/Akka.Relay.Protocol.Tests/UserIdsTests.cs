using Akka.Relay.Protocol;

namespace Akka.Relay.Protocol.Tests;

public sealed class UserIdsTests
{
    [Theory]
    [InlineData("1", 1UL)]
    [InlineData("007", 7UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void Decimal_ids_in_range_are_accepted(string text, ulong expected)
    {
        Assert.True(UserIds.TryParse(text, out var id, out var error));
        Assert.Equal(expected, id);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData(null, "user id is missing")]
    [InlineData("", "user id is missing")]
    [InlineData("0", "user id 0 is reserved for the server")]
    [InlineData("000", "user id 0 is reserved for the server")]
    [InlineData("-1", "user id must be decimal digits only")]
    [InlineData("+1", "user id must be decimal digits only")]
    [InlineData(" 1", "user id must be decimal digits only")]
    [InlineData("1.5", "user id must be decimal digits only")]
    [InlineData("0x10", "user id must be decimal digits only")]
    [InlineData("abc", "user id must be decimal digits only")]
    [InlineData("\u0661", "user id must be decimal digits only")] // Arabic-Indic one: a digit, but not ASCII
    [InlineData("18446744073709551616", "user id must not exceed 18446744073709551615")]
    [InlineData("99999999999999999999999", "user id must not exceed 18446744073709551615")]
    public void Other_ids_are_refused_with_a_reason(string? text, string reason)
    {
        Assert.False(UserIds.TryParse(text, out _, out var error));
        Assert.Equal(reason, error);
    }
}
