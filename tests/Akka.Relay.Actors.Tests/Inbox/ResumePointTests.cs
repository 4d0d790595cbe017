using Akka.Relay.Actors.Inbox;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The header values of protocol section 9.2, for every case it names.</summary>
public sealed class ResumePointTests
{
    private const string Epoch = "e1";

    [Theory]
    // seq, client epoch, oldest kept, last -> first, gap
    [InlineData(0UL, null, 1UL, 0UL, 1UL, false)] // a new empty inbox: nothing to replay, F = L+1
    [InlineData(0UL, Epoch, 1UL, 5UL, 1UL, false)] // everything kept is replayed
    [InlineData(3UL, Epoch, 1UL, 5UL, 4UL, false)] // F = seq+1
    [InlineData(5UL, Epoch, 1UL, 5UL, 6UL, false)] // up to date: F = L+1
    [InlineData(9UL, Epoch, 1UL, 5UL, 6UL, false)] // claims more than exists: nothing to replay
    [InlineData(18446744073709551615UL, Epoch, 1UL, 5UL, 6UL, false)]
    [InlineData(2UL, Epoch, 4UL, 9UL, 4UL, true)] // 3 was dropped by retention
    [InlineData(3UL, Epoch, 4UL, 9UL, 4UL, false)] // nothing the client lacks was dropped
    [InlineData(2UL, Epoch, 10UL, 9UL, 10UL, true)] // everything aged out
    [InlineData(2UL, "old", 1UL, 3UL, 1UL, true)] // another epoch: what is kept, and a gap
    [InlineData(0UL, "old", 1UL, 0UL, 1UL, true)]
    public void Start_and_gap_follow_the_protocol(ulong seq, string? clientEpoch, ulong oldest, ulong last, ulong first, bool gap)
    {
        Assert.Equal(new ResumePoint(first, gap), ResumePoint.Compute(seq, clientEpoch, Epoch, oldest, last));
    }
}
