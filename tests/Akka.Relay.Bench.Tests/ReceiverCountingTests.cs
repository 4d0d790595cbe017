using System.Text;
using Akka.Relay.Bench.Measurement;
using Akka.Relay.Bench.Scenarios;

namespace Akka.Relay.Bench.Tests;

/// <summary>How the pairs client, the storm's resuming user and its filler count what they receive.</summary>
public sealed class ReceiverCountingTests
{
    private const ulong A = 1001;
    private const ulong B = 1002;

    private static void Feed(Connection.IMessageSink sink, string json) => sink.OnMessage(Encoding.UTF8.GetBytes(json));

    private static (PairClient A, PairClient B) Pair(bool optedIn)
    {
        var window = new MeasurementWindow([]);
        var latency = new LatencyRecorder();
        var a = new PairClient(A, 4, 20, window, latency, optedIn: optedIn);
        var b = new PairClient(B, 4, 20, window, latency, optedIn: optedIn);
        a.Peer = b;
        b.Peer = a;
        return (a, b);
    }

    [Fact]
    public void An_opted_in_pairs_client_counts_each_answer_and_checks_header_and_seq()
    {
        var (a, _) = Pair(optedIn: true);

        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"resume","epoch":"E","first":1,"last":0,"gap":false}""");
        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"success send"}""");
        Feed(a, """{"type":2,"sender":0,"receiver":1002,"content":"stored"}""");
        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"error: inbox unavailable"}""");
        Feed(a, """{"seq":1,"type":1,"sender":1002,"receiver":1001,"content":"0:1:x"}""");
        Feed(a, """{"seq":3,"type":1,"sender":1002,"receiver":1001,"content":"1:1:x"}""");
        Feed(a, """{"type":1,"sender":1002,"receiver":1001,"content":"2:1:x"}""");

        Assert.Equal(1, a.Acked);
        Assert.Equal(1, a.Stored);
        Assert.Equal(1, a.InboxUnavailable);
        Assert.Equal(0, a.ErrorReplies);
        Assert.Equal(3, a.Delivered);
        Assert.Equal(2, a.Inbox.Violations);
        Assert.Equal(0, a.Inbox.HeaderProblems);
        Assert.Equal(0, a.Unexpected);
    }

    [Fact]
    public void Unanswered_and_lost_take_the_inbox_answers_into_account()
    {
        var (a, b) = Pair(optedIn: true);
        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"resume","epoch":"E","first":1,"last":0,"gap":false}""");
        Feed(b, """{"type":2,"sender":0,"receiver":1002,"content":"resume","epoch":"F","first":1,"last":0,"gap":false}""");

        // No SEND was written: every answer is one too many, so nothing is unanswered or lost.
        Feed(a, """{"type":2,"sender":0,"receiver":1002,"content":"stored"}""");
        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"error: inbox unavailable"}""");

        Assert.Equal(0, a.Unanswered);
        Assert.Equal(0, a.Lost);
    }

    [Fact]
    public void A_message_delivered_although_its_send_was_answered_inbox_unavailable_is_counted()
    {
        var (a, b) = Pair(optedIn: true);
        Feed(b, """{"type":2,"sender":0,"receiver":1002,"content":"resume","epoch":"E","first":1,"last":0,"gap":false}""");

        // Nothing was sent, so the peer's one delivery is more than the zero SENDs accepted.
        Feed(b, """{"seq":1,"type":1,"sender":1001,"receiver":1002,"content":"0:1:x"}""");
        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"error: inbox unavailable"}""");

        Assert.Equal(1, a.DeliveredDespiteRefusal);
        Assert.Equal(0, b.DeliveredDespiteRefusal);
    }

    [Fact]
    public void A_version_1_pairs_client_counts_a_header_and_a_seq_as_problems()
    {
        var (a, _) = Pair(optedIn: false);

        Feed(a, """{"type":2,"sender":0,"receiver":1001,"content":"resume","epoch":"E","first":1,"last":0,"gap":false}""");
        Feed(a, """{"seq":1,"type":1,"sender":1002,"receiver":1001,"content":"0:1:x"}""");

        Assert.Equal(1, a.Inbox.HeaderProblems);
        Assert.Equal(1, a.Inbox.Violations);
        Assert.Equal(0, a.ErrorReplies);
    }

    [Fact]
    public void A_resuming_user_is_done_at_its_last_seq_and_counts_what_was_wrong()
    {
        var user = new ResumingUser(B, A, 1, 3);

        Feed(user, """{"type":2,"sender":0,"receiver":1002,"content":"resume","epoch":"E","first":1,"last":3,"gap":false}""");
        Feed(user, """{"seq":1,"type":1,"sender":1001,"receiver":1002,"content":"0:1:x"}""");
        Assert.False(user.Done.IsCompleted);
        Feed(user, """{"seq":2,"type":1,"sender":1001,"receiver":1002,"content":"7:1:x"}""");
        Feed(user, """{"type":1,"sender":9,"receiver":1002,"content":"0:1:x"}""");
        Feed(user, """{"seq":3,"type":1,"sender":1001,"receiver":1002,"content":"2:1:x"}""");

        Assert.True(user.Done.IsCompleted);
        Assert.Equal(3, user.Received);
        Assert.Equal(1, user.ContentMismatches);
        Assert.Equal(1, user.Unexpected);
        Assert.Equal(0, user.Inbox.Violations);
        Assert.NotEqual(0, user.HeaderAt);
        Assert.NotEqual(0, user.LastAt);
    }

    [Fact]
    public void A_resuming_user_whose_header_announces_too_few_messages_is_a_header_problem()
    {
        var user = new ResumingUser(B, A, 1, 3);

        Feed(user, """{"type":2,"sender":0,"receiver":1002,"content":"resume","epoch":"E","first":1,"last":2,"gap":false}""");

        Assert.Equal(1, user.Inbox.HeaderProblems);
        Assert.False(user.Done.IsCompleted);
    }

    [Fact]
    public void A_filler_counts_every_answer_and_completes_when_all_are_in()
    {
        var filler = new InboxFiller(A, [B, B + 1], messages: 2, window: 4, size: 20);

        Feed(filler, """{"type":2,"sender":0,"receiver":1002,"content":"stored"}""");
        Feed(filler, """{"type":2,"sender":0,"receiver":1003,"content":"success send"}""");
        Feed(filler, """{"type":2,"sender":0,"receiver":1003,"content":"not online"}""");
        Assert.False(filler.Answered.IsCompleted);
        Feed(filler, """{"type":2,"sender":0,"receiver":1001,"content":"error: inbox unavailable"}""");
        Feed(filler, """{"type":1,"sender":5,"receiver":1001,"content":"0:1:x"}""");

        Assert.True(filler.Answered.IsCompleted);
        Assert.Equal(4, filler.Planned);
        Assert.Equal((1, 1, 1, 1, 0, 1), (filler.Stored, filler.Success, filler.NotOnline, filler.InboxUnavailable, filler.Errors, filler.Unexpected));
    }
}
