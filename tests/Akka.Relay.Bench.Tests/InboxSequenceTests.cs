using Akka.Relay.Bench.Scenarios;
using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Tests;

/// <summary>The check of an opted-in session's header and seq order: every deviation is counted, none is accepted silently.</summary>
public sealed class InboxSequenceTests
{
    private static readonly ResumeHeader Fresh = new("EPOCH", 1, 0, false);

    private static InboxSequence Received(ResumeHeader? header, params long[] seqs)
    {
        var check = new InboxSequence(optedIn: true);
        if (header is not null)
        {
            check.OnHeader(header);
        }

        foreach (var seq in seqs)
        {
            check.OnDelivered(seq);
        }

        return check;
    }

    [Fact]
    public void Header_then_1_2_3_is_clean()
    {
        var check = Received(Fresh, 1, 2, 3);

        Assert.Equal(0, check.Violations);
        Assert.Equal(0, check.HeaderProblems);
        Assert.Equal(3, check.LastSeq);
    }

    [Fact]
    public void A_missing_seq_is_a_violation()
    {
        Assert.Equal(1, Received(Fresh, 1, 0, 2).Violations);
    }

    [Fact]
    public void A_hole_counts_once_and_the_check_resynchronises()
    {
        var check = Received(Fresh, 1, 3, 4, 5);

        Assert.Equal(1, check.Violations);
        Assert.Equal(5, check.LastSeq);
    }

    [Fact]
    public void A_repeated_or_earlier_seq_is_a_violation()
    {
        Assert.Equal(2, Received(Fresh, 1, 2, 2, 1, 3).Violations);
    }

    [Fact]
    public void A_seq_that_is_not_a_positive_integer_is_a_violation()
    {
        Assert.Equal(1, Received(Fresh, 1, -1, 2).Violations);
    }

    [Fact]
    public void A_message_before_the_header_is_a_header_problem()
    {
        var check = Received(null, 1, 2);

        Assert.Equal(1, check.HeaderProblems);
        Assert.Equal(0, check.Violations);
    }

    [Fact]
    public void A_message_without_seq_and_without_header_is_both_problems()
    {
        // What a server before protocol 1.1 does with ?resume=0: a version 1 session.
        var check = Received(null, 0, 0);

        Assert.Equal(1, check.HeaderProblems);
        Assert.Equal(2, check.Violations);
    }

    [Theory]
    [InlineData(1, 5, false)]
    [InlineData(2, 0, false)]
    [InlineData(1, 0, true)]
    public void A_header_other_than_expected_is_a_problem(long first, long last, bool gap)
    {
        Assert.Equal(1, Received(new ResumeHeader("EPOCH", first, last, gap)).HeaderProblems);
    }

    [Fact]
    public void A_header_without_epoch_or_gap_is_a_problem()
    {
        Assert.Equal(1, Received(new ResumeHeader(null, 1, 0, false)).HeaderProblems);
        Assert.Equal(1, Received(new ResumeHeader("EPOCH", 1, 0, null)).HeaderProblems);
    }

    [Fact]
    public void A_second_header_is_a_problem()
    {
        var check = Received(Fresh);
        check.OnHeader(Fresh);

        Assert.Equal(1, check.HeaderProblems);
    }

    [Fact]
    public void A_replay_starts_at_the_headers_first()
    {
        var check = new InboxSequence(optedIn: true, expectedFirst: 1, expectedLast: 3);
        check.OnHeader(new ResumeHeader("EPOCH", 1, 3, false));
        check.OnDelivered(1);
        check.OnDelivered(2);
        check.OnDelivered(3);
        check.OnDelivered(4);

        Assert.Equal(0, check.Violations);
        Assert.Equal(0, check.HeaderProblems);
    }

    [Fact]
    public void A_version_1_session_must_see_no_seq_and_no_header()
    {
        var check = new InboxSequence(optedIn: false);
        check.OnDelivered(0);
        check.OnDelivered(4);
        check.OnHeader(Fresh);

        Assert.Equal(1, check.Violations);
        Assert.Equal(1, check.HeaderProblems);
    }
}
