using System.Text;
using Akka.Actor;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Cluster.Serialization;
using Akka.Relay.Protocol;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>The messages that cross nodes come back from the cluster's serializer as they went in.</summary>
public sealed class RelayMessageSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    private readonly RelayMessageSerializer _serializer;

    public RelayMessageSerializerSpec(ITestOutputHelper output)
        : base("akka.actor.provider = cluster\nakka.remote.dot-netty.tcp.hostname = 127.0.0.1\nakka.remote.dot-netty.tcp.port = 0", output: output)
    {
        _serializer = new RelayMessageSerializer((ExtendedActorSystem)Sys);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("m-1")]
    [InlineData("ünïcødé-𝄞-mid-of-sixty-four-characters-at-most-xxxxxxxxxxxxxxxxxx")]
    public void A_RouteSend_keeps_its_sender_and_mid(string? mid)
    {
        var send = new RouteSend(7, Bytes("{\"type\":1}"), Sequence: 42, Previous: 41) { SenderId = 3, Mid = mid };

        var back = RoundTrip(send);

        Assert.Equal((send.Receiver, send.Sequence, send.Previous, send.SenderId, send.Mid), (back.Receiver, back.Sequence, back.Previous, back.SenderId, back.Mid));
        Assert.Equal(send.Payload, back.Payload);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    public void An_answer_keeps_its_outcome_alone_and_in_a_batch(bool delivered, bool stored, bool unavailable)
    {
        var answer = new SendRouted(7, 42, delivered, Hubs: 3) { Stored = stored, InboxUnavailable = unavailable };

        Assert.Equal(answer, RoundTrip(answer));
        Assert.Equal(answer, Assert.Single(RoundTrip(new AnswerBatch([answer])).Answers));
    }

    [Fact]
    public void A_claim_keeps_its_resume_request()
    {
        var session = CreateTestProbe().Ref;
        var resuming = new ClaimSession(7, session) { Resume = new ResumeRequest(true, 12, "epoch-1", null) };
        var fromStart = new ClaimSession(7, session) { Resume = new ResumeRequest(true, 0, null, null) };
        var plain = new ClaimSession(7, session);

        Assert.Equal(resuming, RoundTrip(resuming));
        Assert.Equal(fromStart, RoundTrip(fromStart));
        Assert.Equal(plain, RoundTrip(plain));
    }

    [Fact]
    public void A_sessions_report_keeps_its_readers_and_whether_the_user_holds_an_inbox()
    {
        var (plain, reader) = (CreateTestProbe().Ref, CreateTestProbe().Ref);
        var report = new SessionsReport(7, [plain, reader]) { Readers = [reader], HasInbox = true };

        var back = RoundTrip(report);

        Assert.Equal([plain, reader], back.Sessions);
        Assert.Equal([reader], back.Readers);
        Assert.True(back.HasInbox);
        Assert.False(RoundTrip(new SessionsReport(7, [])).HasInbox);
    }

    [Fact]
    public void The_inbox_messages_for_readers_and_queries_come_back_equal()
    {
        var header = SystemMessages.ResumeHeader(7, "e1", 3, 9, true);
        var opened = RoundTrip(new InboxReaderOpened("e1", 3, 9, true, header));
        Assert.Equal(("e1", 3UL, 9UL, true), (opened.Epoch, opened.First, opened.Last, opened.Gap));
        Assert.Equal(header, opened.Header);

        var delivery = RoundTrip(new InboxDelivery(9, Bytes("{\"seq\":9}")));
        Assert.Equal((9UL, "{\"seq\":9}"), (delivery.Seq, Encoding.UTF8.GetString(delivery.Payload)));

        Assert.Equal(new InboxReaderFailed("the inbox store failed"), RoundTrip(new InboxReaderFailed("the inbox store failed")));
        Assert.Equal(new InboxReaderLost(7), RoundTrip(new InboxReaderLost(7)));
        Assert.Equal(new InboxKnown(7, true), RoundTrip(new InboxKnown(7, true)));
        Assert.Equal(new InboxKnown(7, false), RoundTrip(new InboxKnown(7, false)));
        Assert.Equal(new GetUserInbox(7), RoundTrip(new GetUserInbox(7)));
        Assert.Equal(new InboxStatus("e1", 3, 9, 7, 2), RoundTrip(new InboxStatus("e1", 3, 9, 7, 2)));
        Assert.Equal(new InboxStatus(null, 1, 0, 0, 0), RoundTrip(new InboxStatus(null, 1, 0, 0, 0)));
    }

    private T RoundTrip<T>(T message)
        where T : notnull => (T)_serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
