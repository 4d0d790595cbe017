using System.Text;
using Akka.Actor;
using Akka.Persistence.TestKit;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Protocol;
using Akka.Relay.Testing.Stores;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// A user's directory entity as the parent of the user's inbox (protocol 1.1 in a cluster), alone on a cluster provider
/// that joins nothing, on the persistence TestKit's journal whose writes a test can fail. TestProbes stand in for
/// hubs and sessions.
/// </summary>
public sealed class UserEntityInboxSpec : Akka.TestKit.Xunit2.TestKit
{
    private const ulong User = 2;
    private const ulong Sender = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly UserDirectorySettings Settings = new(MaxSessionsPerUser: 8, RebuildTimeout: TimeSpan.FromSeconds(2), IdleTimeout: TimeSpan.FromMinutes(5))
    {
        Inbox = new DirectoryInboxSettings(InboxSettings.Default, AppendTimeout: TimeSpan.FromSeconds(2)),
    };

    public UserEntityInboxSpec(ITestOutputHelper output)
        : base(TestJournalConfig.Hocon + "\nakka.actor.provider = cluster\nakka.remote.dot-netty.tcp.hostname = 127.0.0.1\nakka.remote.dot-netty.tcp.port = 0", output: output)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    [Fact]
    public async Task A_resuming_session_gets_the_header_then_each_SEND_stamped_and_the_sender_hears_success_only_after_it_is_stored()
    {
        var entity = StartEntity();
        var (readersHub, reader, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        await ClaimAsync(entity, readersHub, reader, resumeFrom: 0);
        var header = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((1UL, 0UL, false), (header.First, header.Last, header.Gap));

        entity.Tell(Send(1, "one"), sendersHub.Ref);
        entity.Tell(Send(2, "two", previous: 1), sendersHub.Ref);

        var first = await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
        var second = await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
        Assert.Equal((1UL, 2UL), (first.Seq, second.Seq));
        Assert.Contains("\"seq\":1", Encoding.UTF8.GetString(first.Payload));
        var answers = new[] { await sendersHub.ExpectMsgAsync<SendRouted>(Timeout), await sendersHub.ExpectMsgAsync<SendRouted>(Timeout) };
        Assert.All(answers, a => Assert.True(a is { Delivered: true, Stored: true, InboxUnavailable: false, Hubs: 1 }));
        Assert.Equal(new long[] { 1, 2 }, answers.Select(a => a.Sequence));

        // The reader's hub never gets the bytes: the reader has them from the inbox.
        await readersHub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_SEND_to_an_offline_user_with_an_inbox_is_stored_and_a_later_resume_replays_it()
    {
        var entity = StartEntity();
        var (hub, first, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        await ClaimAsync(entity, hub, first, resumeFrom: 0);
        await first.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        entity.Tell(new ReleaseSession(User, first.Ref), hub.Ref);

        entity.Tell(Send(1, "while away"), sendersHub.Ref);
        var answer = await sendersHub.ExpectMsgAsync<SendRouted>(Timeout);
        Assert.True(answer is { Delivered: false, Stored: true });

        var second = CreateTestProbe();
        await ClaimAsync(entity, hub, second, resumeFrom: 0);
        var header = await second.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((1UL, 1UL), (header.First, header.Last));
        Assert.Equal(1UL, (await second.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
    }

    [Fact]
    public async Task A_version_1_session_of_the_user_gets_the_bytes_through_its_hub_after_the_store_and_both_answers_count()
    {
        var entity = StartEntity();
        var (readersHub, reader, plainHub, plain, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        await ClaimAsync(entity, readersHub, reader, resumeFrom: 0);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        await ClaimAsync(entity, plainHub, plain, resumeFrom: null);

        entity.Tell(Send(1, "both"), sendersHub.Ref);

        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        var delivery = await plainHub.ExpectMsgAsync<DeliverRouted>(Timeout);
        Assert.Equal((1L, 2), (delivery.Sequence, delivery.Hubs));
        Assert.DoesNotContain("\"seq\"", Encoding.UTF8.GetString(delivery.Payload));
        var answer = await sendersHub.ExpectMsgAsync<SendRouted>(Timeout);
        Assert.True(answer is { Delivered: true, Stored: true, Hubs: 2 });
        await readersHub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_retry_that_reaches_a_new_entity_after_the_first_copy_was_stored_is_recognised_and_not_stored_again()
    {
        var sendersHub = CreateTestProbe();
        var first = StartEntity();
        await OpenInboxAsync(first);

        // No client mid: the sending hub's SEND number names the message.
        first.Tell(Send(7, "once"), sendersHub.Ref);
        Assert.True((await sendersHub.ExpectMsgAsync<SendRouted>(Timeout)).Stored);
        await StopAsync(first);

        // The answer was lost with the old home (as after a crash): the hub retries, and a new entity recovers the inbox.
        var second = StartEntity();
        second.Tell(new SessionsReport(User, []) { HasInbox = true }, CreateTestProbe().Ref);
        second.Tell(Send(7, "once"), sendersHub.Ref);
        Assert.True((await sendersHub.ExpectMsgAsync<SendRouted>(Timeout)).Stored);

        second.Tell(GetInbox(), TestActor);
        var status = await ExpectMsgAsync<InboxStatus>(Timeout);
        Assert.Equal((1UL, 1), (status.Last, status.Kept));
    }

    [Fact]
    public async Task A_failed_write_is_answered_inbox_unavailable_nothing_is_delivered_and_the_next_SEND_is_stored_again()
    {
        var (entity, reader, sendersHub) = await FirstSendRejectedAsync("lost");

        entity.Tell(Send(2, "kept", previous: 0), sendersHub.Ref);
        Assert.True((await sendersHub.ExpectMsgAsync<SendRouted>(Timeout)) is { Delivered: true, Stored: true });
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
    }

    [Fact]
    public async Task A_retry_of_a_SEND_answered_inbox_unavailable_gets_that_answer_again_and_is_never_stored()
    {
        var (entity, reader, sendersHub) = await FirstSendRejectedAsync("refused");

        // The store is back when the hub's retry arrives (sent before the answer reached the hub): same answer.
        entity.Tell(Send(1, "refused"), sendersHub.Ref);
        Assert.True((await sendersHub.ExpectMsgAsync<SendRouted>(Timeout)) is { InboxUnavailable: true, Stored: false });
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        entity.Tell(GetInbox(), TestActor);
        Assert.Equal(0UL, (await ExpectMsgAsync<InboxStatus>(Timeout)).Last);
    }

    [Fact]
    public async Task While_the_store_fails_every_SEND_is_answered_inbox_unavailable()
    {
        var entity = StartEntity();
        await OpenInboxAsync(entity);
        var sendersHub = CreateTestProbe();

        // Writes fail and the inbox stops until its backoff supervisor starts it again; what comes meanwhile is dropped
        // there, and the append deadline answers it.
        await Journal.OnWrite.Fail();
        entity.Tell(Send(1, "first"), sendersHub.Ref);
        Assert.True((await sendersHub.ExpectMsgAsync<SendRouted>(Timeout)).InboxUnavailable);
        entity.Tell(Send(2, "while down", previous: 0), sendersHub.Ref);
        Assert.True((await sendersHub.ExpectMsgAsync<SendRouted>(Timeout)).InboxUnavailable);
    }

    [Fact]
    public async Task Without_an_inbox_a_SEND_is_handed_on_as_in_version_1_and_no_inbox_actor_starts()
    {
        var entity = StartEntity();
        var (hub, session, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        await ClaimAsync(entity, hub, session, resumeFrom: null);

        entity.Tell(Send(1, "plain"), sendersHub.Ref);
        var delivery = await hub.ExpectMsgAsync<DeliverRouted>(Timeout);
        Assert.Equal(1, delivery.Hubs);
        await sendersHub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        var inbox = await Sys.ActorSelection(entity.Path / "inbox").ResolveOne(TimeSpan.FromSeconds(1)).ContinueWith(t => t.IsCompletedSuccessfully);
        Assert.False(inbox);
    }

    private IActorRef StartEntity() => Sys.ActorOf(UserEntity.GetProps("2", Settings, CreateTestProbe().Ref));

    private static RouteSend Send(long sequence, string content, long previous = 0) =>
        new(User, Encoding.UTF8.GetBytes($"{{\"type\":1,\"sender\":{Sender},\"receiver\":{User},\"content\":\"{content}\"}}"), sequence, previous) { SenderId = Sender };

    private static GetUserInbox GetInbox() => new(User);

    private async Task ClaimAsync(IActorRef entity, TestProbe hub, TestProbe session, ulong? resumeFrom)
    {
        var resume = resumeFrom is { } seq ? new ResumeRequest(true, seq, null, null) : ResumeRequest.None;
        entity.Tell(new ClaimSession(User, session.Ref) { Resume = resume }, hub.Ref);
        Assert.Equal(new SessionClaimed(User, session.Ref), await hub.ExpectMsgAsync<SessionClaimed>(Timeout));
    }

    /// <summary>
    /// A reading session opts in; the store rejects the first SEND (seq 1, answered <c>inbox unavailable</c>, nothing
    /// delivered) and then takes writes again.
    /// </summary>
    private async Task<(IActorRef Entity, TestProbe Reader, TestProbe SendersHub)> FirstSendRejectedAsync(string content)
    {
        var entity = StartEntity();
        var (hub, reader, sendersHub) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        await ClaimAsync(entity, hub, reader, resumeFrom: 0);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);

        await Journal.OnWrite.Reject();
        entity.Tell(Send(1, content), sendersHub.Ref);
        var failed = await sendersHub.ExpectMsgAsync<SendRouted>(Timeout);
        Assert.True(failed is { InboxUnavailable: true, Delivered: false, Stored: false, Hubs: 1 });
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        await Journal.OnWrite.Pass();
        return (entity, reader, sendersHub);
    }

    /// <summary>A session opts in (creating the user's inbox) and leaves again.</summary>
    private async Task OpenInboxAsync(IActorRef entity)
    {
        var hub = CreateTestProbe();
        var session = CreateTestProbe();
        await ClaimAsync(entity, hub, session, resumeFrom: 0);
        await session.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        entity.Tell(new ReleaseSession(User, session.Ref), hub.Ref);
    }

    private async Task StopAsync(IActorRef entity)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(entity);
        Sys.Stop(entity);
        await watcher.ExpectTerminatedAsync(entity, Timeout);
    }
}
