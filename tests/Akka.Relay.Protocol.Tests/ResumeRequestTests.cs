using Akka.Relay.Protocol;

namespace Akka.Relay.Protocol.Tests;

public sealed class ResumeRequestTests
{
    [Fact]
    public void No_resume_parameter_is_a_version_1_session()
    {
        var request = ResumeRequest.Parse(null, null);

        Assert.True(request.IsValid);
        Assert.False(request.OptsIn);
    }

    [Theory]
    [InlineData("0", null, 0UL)]
    [InlineData("17", "AB12CD", 17UL)]
    [InlineData("18446744073709551615", "abcdefghijklmnopqrstuvwxyz012345", 18446744073709551615UL)]
    public void A_valid_request_opts_in_with_its_seq_and_epoch(string resume, string? epoch, ulong seq)
    {
        var request = ResumeRequest.Parse(resume, epoch);

        Assert.True(request.IsValid);
        Assert.True(request.OptsIn);
        Assert.Equal(seq, request.Seq);
        Assert.Equal(epoch, request.Epoch);
    }

    [Theory]
    [InlineData("", null, "resume must be a sequence number")]
    [InlineData("-1", null, "resume must be decimal digits only")]
    [InlineData("+1", null, "resume must be decimal digits only")]
    [InlineData(" 1", null, "resume must be decimal digits only")]
    [InlineData("0x10", null, "resume must be decimal digits only")]
    [InlineData("1e3", null, "resume must be decimal digits only")]
    [InlineData("18446744073709551616", null, "resume must not exceed 18446744073709551615")]
    [InlineData("1", "", "epoch must be 1 to 32 characters")]
    [InlineData("1", "abcdefghijklmnopqrstuvwxyz0123456", "epoch must be 1 to 32 characters")]
    [InlineData(null, "abc", "epoch needs a resume parameter")]
    public void A_bad_request_is_refused_with_a_clear_reason(string? resume, string? epoch, string error)
    {
        var request = ResumeRequest.Parse(resume, epoch);

        Assert.False(request.IsValid);
        Assert.False(request.OptsIn);
        Assert.Equal(error, request.Error);
    }
}
