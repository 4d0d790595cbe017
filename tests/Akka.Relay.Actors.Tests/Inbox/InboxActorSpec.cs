using Akka.Relay.Testing.Stores;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.Relay.Actors.Inbox;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The inbox on Akka.Persistence.TestKit's in-memory journal, whose writes a test can fail or reject.</summary>
public sealed class InboxActorSpec : Akka.TestKit.Xunit2.TestKit
{
    private const ulong User = 7;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string Config = TestJournalConfig.Hocon;

    private static readonly InboxSettings Settings = InboxSettings.Default;

    private long _requests;

    public InboxActorSpec(ITestOutputHelper output)
        : base(Config, output: output)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    [Fact]
    public async Task A_user_who_never_opted_in_has_no_inbox_and_nothing_is_stored()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));

        inbox.Tell(new AppendToInbox(1, 3, null, Message(3, "hi")), TestActor);

        Assert.Equal(new NoInbox(1), await ExpectMsgAsync<NoInbox>(Timeout));
        Assert.Null((await StatusAsync(inbox)).Epoch);
    }

    [Fact]
    public async Task First_reader_creates_the_inbox_with_a_new_epoch_and_an_exact_header()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = CreateTestProbe();

        inbox.Tell(new OpenInboxReader(0, null, reader.Ref));

        var opened = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.InRange(opened.Epoch.Length, 1, 32);
        Assert.Equal((1UL, 0UL, false), (opened.First, opened.Last, opened.Gap));
        Assert.Equal(
            $$"""{"type":2,"sender":0,"receiver":7,"content":"resume","epoch":"{{opened.Epoch}}","first":1,"last":0,"gap":false}""",
            Encoding.UTF8.GetString(opened.Header));
    }

    [Fact]
    public async Task Messages_get_seq_1_2_3_and_reach_the_live_reader_stamped_after_they_are_stored()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);

        for (ulong i = 1; i <= 3; i++)
        {
            var appended = await AppendAsync(inbox, 3, null, "m" + i);
            Assert.Equal(i, appended.Seq);
            Assert.True(appended.ReadersLive);
            Assert.False(appended.Duplicate);
        }

        for (ulong i = 1; i <= 3; i++)
        {
            var delivery = await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
            Assert.Equal(i, delivery.Seq);
            Assert.Equal($$"""{"seq":{{i}},"sender":3,"type":1,"receiver":7,"content":"m{{i}}"}""", Encoding.UTF8.GetString(delivery.Payload));
        }
    }

    [Fact]
    public async Task Nobody_hears_of_a_message_before_its_write_completes()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);

        await Journal.OnWrite.PassWithDelay(TimeSpan.FromSeconds(2));
        var sender = CreateTestProbe();
        inbox.Tell(new AppendToInbox(1, 3, null, Message(3, "slow")), sender.Ref);

        // While the store is still writing, neither the requester nor the reader gets anything.
        await sender.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(800));
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1UL, (await sender.ExpectMsgAsync<InboxAppended>(Timeout)).Seq);
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        await Journal.OnWrite.Pass();
    }

    [Fact]
    public async Task Messages_that_arrive_while_a_write_is_in_flight_are_stored_as_one_event_in_their_order()
    {
        var (inbox, reader, epoch, writes, sender) = await HoldFirstWriteAsync("m1", "m1");
        for (var i = 2; i <= 10; i++)
        {
            inbox.Tell(new AppendToInbox(i, 3, "m" + i, Message(3, "m" + i)), sender.Ref);
        }

        // Answered in mailbox order: every append above has reached the inbox before this.
        Assert.Equal(0UL, (await StatusAsync(inbox)).Last);
        writes.Release();

        for (var i = 1; i <= 10; i++)
        {
            var appended = await sender.ExpectMsgAsync<InboxAppended>(Timeout);
            Assert.Equal((i, (ulong)i, false), (appended.RequestId, appended.Seq, appended.Duplicate));
            Assert.Equal((ulong)i, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        }

        Assert.Equal([1, 9], writes.MessagesPerWrite);
        await Journal.OnWrite.Pass();

        // The batch recovers as ten messages, their mids included.
        await StopAsync(inbox);
        var restarted = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        Assert.Equal(new InboxStatus(epoch, 1, 10, 10, 0), await StatusAsync(restarted));
        var retry = await AppendAsync(restarted, 3, "m7", "m7");
        Assert.Equal((7UL, true), (retry.Seq, retry.Duplicate));
        var resumed = CreateTestProbe();
        restarted.Tell(new OpenInboxReader(8, epoch, resumed.Ref));
        Assert.Equal((9UL, 10UL), await resumed.ExpectMsgAsync<InboxReaderOpened>(Timeout) is var opened ? (opened.First, opened.Last) : default);
        Assert.Equal("""{"seq":9,"sender":3,"type":1,"receiver":7,"content":"m9"}""", Encoding.UTF8.GetString((await resumed.ExpectMsgAsync<InboxDelivery>(Timeout)).Payload));
    }

    [Fact]
    public async Task A_long_burst_is_stored_in_events_of_at_most_256_messages()
    {
        var (inbox, _, _, writes, sender) = await HoldFirstWriteAsync(null, "m1");
        for (var i = 2; i <= 300; i++)
        {
            inbox.Tell(new AppendToInbox(i, 3, null, Message(3, "m" + i)), sender.Ref);
        }

        await StatusAsync(inbox);
        writes.Release();
        for (var i = 1; i <= 300; i++)
        {
            Assert.Equal((ulong)i, (await sender.ExpectMsgAsync<InboxAppended>(Timeout)).Seq);
        }

        Assert.Equal([1, 256, 43], writes.MessagesPerWrite);
        Assert.Equal(300UL, (await StatusAsync(inbox)).Last);
        await Journal.OnWrite.Pass();
    }

    [Fact]
    public async Task After_a_failed_batch_the_messages_still_queued_are_answered_and_never_written()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        var writes = new HoldFirstWrite(failSecond: true);
        await Journal.OnWrite.SetInterceptorAsync(writes);
        var sender = CreateTestProbe();

        // 1 in flight, then 300 queued: the next batch takes 256 and fails, 44 are left queued when the inbox stops.
        inbox.Tell(new AppendToInbox(1, 3, null, Message(3, "m1")), sender.Ref);
        await writes.FirstHeld.WaitAsync(Timeout);
        for (var i = 2; i <= 301; i++)
        {
            inbox.Tell(new AppendToInbox(i, 3, null, Message(3, "m" + i)), sender.Ref);
        }

        await StatusAsync(inbox);
        writes.Release();
        Assert.Equal(1UL, (await sender.ExpectMsgAsync<InboxAppended>(Timeout)).Seq);
        var failed = new HashSet<long>();
        for (var i = 2; i <= 301; i++)
        {
            failed.Add((await sender.ExpectMsgAsync<InboxAppendFailed>(Timeout)).RequestId);
        }

        Assert.Equal(300, failed.Count);
        await sender.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal([1, 256], writes.MessagesPerWrite);
        await Journal.OnWrite.Pass();
    }

    [Fact]
    public async Task A_rejected_batch_fails_every_message_in_it_and_the_next_batch_is_stored()
    {
        var (inbox, reader, _, writes, sender) = await HoldFirstWriteAsync(null, "first");
        inbox.Tell(new AppendToInbox(2, 3, "x", Message(3, "second")), sender.Ref);
        inbox.Tell(new AppendToInbox(3, 3, "x", Message(3, "second, retried")), sender.Ref);
        await StatusAsync(inbox);

        // The second batch (the message and, waiting on its mid, its retry) is rejected once the first is written.
        await Journal.OnWrite.RejectIf(message => message.Payload is MessagesStored stored && stored.Messages[0].Mid == "x");
        writes.Release();
        Assert.Equal((1L, 1UL), await sender.ExpectMsgAsync<InboxAppended>(Timeout) is var first ? (first.RequestId, first.Seq) : default);
        Assert.Equal(new InboxAppendFailed(2, InboxActor.StoreFailedReason), await sender.ExpectMsgAsync<InboxAppendFailed>(Timeout));
        Assert.Equal(new InboxAppendFailed(3, InboxActor.StoreFailedReason), await sender.ExpectMsgAsync<InboxAppendFailed>(Timeout));
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        await Journal.OnWrite.Pass();
        Assert.Equal(2UL, (await AppendAsync(inbox, 3, "x", "second")).Seq);
    }

    [Fact]
    public async Task A_message_behind_a_write_older_than_ShedWritesAfter_is_refused_unwritten_and_a_retry_is_stored_later()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings with { ShedWritesAfter = TimeSpan.FromMilliseconds(300) }));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);

        await Journal.OnWrite.PassWithDelay(TimeSpan.FromSeconds(3));
        var sender = CreateTestProbe();
        inbox.Tell(new AppendToInbox(1, 3, "first", Message(3, "slow")), sender.Ref);
        await sender.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(600));

        // The first write is older than 300 ms: the next message is refused at once, without a write.
        inbox.Tell(new AppendToInbox(2, 3, "second", Message(3, "behind")), sender.Ref);
        var refused = await sender.ExpectMsgAsync<InboxAppendFailed>(TimeSpan.FromSeconds(1));
        Assert.Equal((2L, InboxActor.StoreBehindReason), (refused.RequestId, refused.Reason));

        Assert.Equal(1UL, (await sender.ExpectMsgAsync<InboxAppended>(Timeout)).Seq);
        await Journal.OnWrite.Pass();

        // Nothing of the refused one was stored or delivered: its retry gets the next seq, and the reader sees 1 then 2.
        inbox.Tell(new AppendToInbox(3, 3, "second", Message(3, "behind")), sender.Ref);
        var retried = await sender.ExpectMsgAsync<InboxAppended>(Timeout);
        Assert.Equal((2UL, false), (retried.Seq, retried.Duplicate));
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        Assert.Equal(2UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Without_a_reader_a_message_is_stored_and_replayed_to_the_next_resume()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var first = await OpenAsync(inbox, 0, null);
        var epoch = (await first.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        inbox.Tell(new CloseInboxReader(first.Ref));

        var a = await AppendAsync(inbox, 3, null, "a");
        var b = await AppendAsync(inbox, 4, null, "b");
        Assert.False(a.ReadersLive);
        await first.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        var second = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(0, epoch, second.Ref));
        var opened = await second.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((epoch, 1UL, 2UL, false), (opened.Epoch, opened.First, opened.Last, opened.Gap));
        Assert.Equal(a.Seq, (await second.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        Assert.Equal(b.Seq, (await second.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);

        // Resuming from 1 replays only 2.
        var third = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(1, epoch, third.Ref));
        var resumed = await third.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((2UL, 2UL, false), (resumed.First, resumed.Last, resumed.Gap));
        Assert.Equal(2UL, (await third.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        await third.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task No_message_falls_between_replay_and_live_while_messages_keep_arriving()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var creator = await OpenAsync(inbox, 0, null);
        var epoch = (await creator.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        inbox.Tell(new CloseInboxReader(creator.Ref));

        // Appends before, during and after the open, none awaited: some are written, some in flight when it arrives.
        const int Total = 600;
        var reader = CreateTestProbe();
        var sender = CreateTestProbe();
        for (var i = 1; i <= Total; i++)
        {
            inbox.Tell(new AppendToInbox(i, 3, null, Message(3, "m" + i)), sender.Ref);
            if (i == Total / 3)
            {
                inbox.Tell(new OpenInboxReader(0, epoch, reader.Ref));
            }
        }

        var opened = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal(1UL, opened.First);
        for (ulong seq = 1; seq <= Total; seq++)
        {
            var delivery = await reader.ExpectMsgAsync<InboxDelivery>(Timeout);
            Assert.Equal(seq, delivery.Seq);
        }

        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal((ulong)Total, (await StatusAsync(inbox)).Last);
        Output?.WriteLine($"header last = {opened.Last} of {Total} (the rest reached the reader live)");
    }

    [Fact]
    public async Task A_retry_with_the_same_mid_is_not_stored_or_delivered_again_and_gets_the_first_answer()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);

        var first = await AppendAsync(inbox, 3, "mid-1", "hello");
        var retry = await AppendAsync(inbox, 3, "mid-1", "hello");
        var otherSender = await AppendAsync(inbox, 4, "mid-1", "hello");

        Assert.Equal((1UL, true, false), (first.Seq, first.ReadersLive, first.Duplicate));
        Assert.Equal((1UL, true, true), (retry.Seq, retry.ReadersLive, retry.Duplicate));
        Assert.Equal(2UL, otherSender.Seq);
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        Assert.Equal(2UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(2UL, (await StatusAsync(inbox)).Last);
    }

    [Fact]
    public async Task A_retry_that_arrives_while_the_first_copy_is_being_written_waits_for_it()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        await OpenAsync(inbox, 0, null);

        inbox.Tell(new AppendToInbox(10, 3, "m", Message(3, "x")), TestActor);
        inbox.Tell(new AppendToInbox(11, 3, "m", Message(3, "x")), TestActor);

        var answers = new[] { await ExpectMsgAsync<InboxAppended>(Timeout), await ExpectMsgAsync<InboxAppended>(Timeout) }.OrderBy(a => a.RequestId).ToArray();
        Assert.Equal(new InboxAppended(10, 1, true, false), answers[0]);
        Assert.Equal(new InboxAppended(11, 1, true, true), answers[1]);
        Assert.Equal(1UL, (await StatusAsync(inbox)).Last);
    }

    [Fact]
    public async Task After_a_restart_the_inbox_recovers_its_epoch_messages_and_duplicates()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        var epoch = (await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        for (var i = 1; i <= 5; i++)
        {
            await AppendAsync(inbox, 3, "m" + i, "m" + i);
        }

        await StopAsync(inbox);
        var restarted = Sys.ActorOf(InboxActor.GetProps(User, Settings));

        Assert.Equal(new InboxStatus(epoch, 1, 5, 5, 0), await StatusAsync(restarted));
        var retry = await AppendAsync(restarted, 3, "m2", "m2");
        Assert.Equal((2UL, true, true), (retry.Seq, retry.ReadersLive, retry.Duplicate));
        Assert.Equal(6UL, (await AppendAsync(restarted, 3, null, "m6")).Seq);

        var resumed = CreateTestProbe();
        restarted.Tell(new OpenInboxReader(4, epoch, resumed.Ref));
        var opened = await resumed.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((5UL, 6UL, false), (opened.First, opened.Last, opened.Gap));
        var fifth = await resumed.ExpectMsgAsync<InboxDelivery>(Timeout);
        Assert.Equal("""{"seq":5,"sender":3,"type":1,"receiver":7,"content":"m5"}""", Encoding.UTF8.GetString(fifth.Payload));
    }

    [Fact]
    public async Task Max_messages_drops_the_oldest_and_a_resume_from_before_them_reports_a_gap()
    {
        var settings = Settings with { MaxMessages = 10 };
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, settings));
        var creator = await OpenAsync(inbox, 0, null);
        var epoch = (await creator.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        inbox.Tell(new CloseInboxReader(creator.Ref));
        for (var i = 1; i <= 15; i++)
        {
            await AppendAsync(inbox, 3, null, "m" + i);
        }

        Assert.Equal(new InboxStatus(epoch, 6, 15, 10, 0), await StatusAsync(inbox));

        var reader = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(2, epoch, reader.Ref));
        var opened = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((6UL, 15UL, true), (opened.First, opened.Last, opened.Gap));
        Assert.Equal(6UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
    }

    [Fact]
    public async Task A_resume_in_another_epoch_replays_what_is_kept_and_reports_a_gap()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var creator = await OpenAsync(inbox, 0, null);
        var epoch = (await creator.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        await AppendAsync(inbox, 3, null, "a");

        var reader = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(40, "an-epoch-that-was-lost", reader.Ref));

        var opened = await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal((epoch, 1UL, 1UL, true), (opened.Epoch, opened.First, opened.Last, opened.Gap));
        Assert.Equal(1UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
    }

    [Fact]
    public async Task Max_age_drops_old_messages_but_never_reuses_their_seq()
    {
        var settings = Settings with { MaxAge = TimeSpan.FromMilliseconds(500), RetentionCheckInterval = TimeSpan.FromMilliseconds(100) };
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, settings));
        await OpenAsync(inbox, 0, null);
        await AppendAsync(inbox, 3, null, "old");

        await AwaitAssertAsync(async () => Assert.Equal(0, (await StatusAsync(inbox)).Kept), Timeout, TimeSpan.FromMilliseconds(100));

        Assert.Equal(2UL, (await AppendAsync(inbox, 3, null, "new")).Seq);
        var status = await StatusAsync(inbox);
        Assert.Equal((2UL, 2UL), (status.First, status.Last));
    }

    [Fact]
    public async Task An_inbox_without_a_reader_for_the_idle_expiry_is_deleted_and_later_created_with_a_new_epoch()
    {
        var settings = Settings with { IdleExpiry = TimeSpan.FromMilliseconds(500), RetentionCheckInterval = TimeSpan.FromMilliseconds(100) };
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, settings));
        var reader = await OpenAsync(inbox, 0, null);
        var epoch = (await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        await AppendAsync(inbox, 3, null, "a");
        inbox.Tell(new CloseInboxReader(reader.Ref));

        await AwaitAssertAsync(async () => Assert.Null((await StatusAsync(inbox)).Epoch), Timeout, TimeSpan.FromMilliseconds(100));

        inbox.Tell(new AppendToInbox(99, 3, null, Message(3, "late")), TestActor);
        await ExpectMsgAsync<NoInbox>(Timeout);

        var again = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(1, epoch, again.Ref));
        var opened = await again.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.NotEqual(epoch, opened.Epoch);
        Assert.Equal((1UL, 0UL, true), (opened.First, opened.Last, opened.Gap));
    }

    [Fact]
    public async Task Idle_expiry_is_checked_on_recovery_from_the_stored_last_activity()
    {
        // The running check would never come (an hour): only recovery can see that the inbox expired.
        var settings = Settings with { IdleExpiry = TimeSpan.FromMilliseconds(500), RetentionCheckInterval = TimeSpan.FromHours(1) };
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, settings));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        await AppendAsync(inbox, 3, null, "a");
        inbox.Tell(new CloseInboxReader(reader.Ref));
        await StatusAsync(inbox);
        await StopAsync(inbox);

        await AwaitAssertAsync(async () =>
        {
            var recovered = Sys.ActorOf(InboxActor.GetProps(User, settings));
            var status = await StatusAsync(recovered);
            await StopAsync(recovered);
            Assert.Null(status.Epoch);
        }, Timeout, TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_rejected_write_is_answered_as_a_failure_delivers_nothing_and_leaves_no_hole_in_the_seqs()
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        Assert.Equal(1UL, (await AppendAsync(inbox, 3, null, "a")).Seq);
        await reader.ExpectMsgAsync<InboxDelivery>(Timeout);

        await Journal.OnWrite.Reject();
        inbox.Tell(new AppendToInbox(50, 3, "r", Message(3, "b")), TestActor);
        Assert.Equal(new InboxAppendFailed(50, InboxActor.StoreFailedReason), await ExpectMsgAsync<InboxAppendFailed>(Timeout));
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        await Journal.OnWrite.Pass();
        var retried = await AppendAsync(inbox, 3, "r", "b");
        Assert.Equal((2UL, false), (retried.Seq, retried.Duplicate));
        Assert.Equal(2UL, (await reader.ExpectMsgAsync<InboxDelivery>(Timeout)).Seq);
    }

    [Fact]
    public async Task A_failed_write_is_answered_as_a_failure_and_the_supervised_inbox_comes_back_when_the_store_does()
    {
        var settings = Settings with { MinBackoff = TimeSpan.FromMilliseconds(200), MaxBackoff = TimeSpan.FromSeconds(1) };
        var inbox = Sys.ActorOf(InboxActor.GetSupervisedProps(User, settings));
        var reader = await OpenAsync(inbox, 0, null);
        var epoch = (await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        Assert.Equal(1UL, (await AppendAsync(inbox, 3, null, "a")).Seq);
        await reader.ExpectMsgAsync<InboxDelivery>(Timeout);

        await Journal.OnWrite.Fail();
        inbox.Tell(new AppendToInbox(60, 3, null, Message(3, "b")), TestActor);
        Assert.Equal(new InboxAppendFailed(60, InboxActor.StoreFailedReason), await ExpectMsgAsync<InboxAppendFailed>(Timeout));
        Assert.Equal(new InboxReaderLost(User), await reader.ExpectMsgAsync<InboxReaderLost>(Timeout));
        await reader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        await Journal.OnWrite.Pass();
        await AwaitAssertAsync(async () =>
        {
            var status = await inbox.Ask<InboxStatus>(GetInboxStatus.Instance, TimeSpan.FromMilliseconds(500));
            Assert.Equal((epoch, 1UL), (status.Epoch, status.Last));
        }, Timeout, TimeSpan.FromMilliseconds(100));
        Assert.Equal(2UL, (await AppendAsync(inbox, 3, null, "b")).Seq);
    }

    /// <summary>
    /// An inbox with an open reader whose first message (request 1 from sender 3) is being written and held there, so
    /// that what the test sends next queues behind that write.
    /// </summary>
    private async Task<(IActorRef Inbox, TestProbe Reader, string Epoch, HoldFirstWrite Writes, TestProbe Sender)> HoldFirstWriteAsync(string? mid, string content)
    {
        var inbox = Sys.ActorOf(InboxActor.GetProps(User, Settings));
        var reader = await OpenAsync(inbox, 0, null);
        var epoch = (await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        var writes = new HoldFirstWrite();
        await Journal.OnWrite.SetInterceptorAsync(writes);
        var sender = CreateTestProbe();
        inbox.Tell(new AppendToInbox(1, 3, mid, Message(3, content)), sender.Ref);
        await writes.FirstHeld.WaitAsync(Timeout);
        return (inbox, reader, epoch, writes, sender);
    }

    /// <summary>
    /// Holds the first write until released and counts the messages in each batch tried; with <paramref name="failSecond"/>
    /// the second write fails (a store failure: the inbox stops).
    /// </summary>
    private sealed class HoldFirstWrite(bool failSecond = false) : IJournalInterceptor
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Collections.Concurrent.ConcurrentQueue<int> _sizes = new();
        private int _writes;

        public Task FirstHeld => _held.Task;

        public int[] MessagesPerWrite => [.. _sizes];

        public void Release() => _release.TrySetResult();

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (message.Payload is MessagesStored stored)
            {
                _sizes.Enqueue(stored.Messages.Length);
            }

            var write = Interlocked.Increment(ref _writes);
            if (write == 1)
            {
                _held.TrySetResult();
                await _release.Task;
            }
            else if (write == 2 && failSecond)
            {
                throw new TestJournalFailureException();
            }
        }
    }

    private static byte[] Message(ulong sender, string content) =>
        Encoding.UTF8.GetBytes($$"""{"sender":{{sender}},"type":1,"receiver":7,"content":{{JsonSerializer.Serialize(content)}}}""");

    private async Task<TestProbe> OpenAsync(IActorRef inbox, ulong resumeFrom, string? epoch)
    {
        var reader = CreateTestProbe();
        inbox.Tell(new OpenInboxReader(resumeFrom, epoch, reader.Ref));
        // Wait until the reader is attached, without consuming its header.
        await AwaitAssertAsync(async () => Assert.True((await StatusAsync(inbox)).Readers > 0), Timeout, TimeSpan.FromMilliseconds(50));
        return reader;
    }

    private async Task<InboxAppended> AppendAsync(IActorRef inbox, ulong sender, string? mid, string content)
    {
        var probe = CreateTestProbe();
        var id = Interlocked.Increment(ref _requests);
        inbox.Tell(new AppendToInbox(id, sender, mid, Message(sender, content)), probe.Ref);
        var appended = await probe.ExpectMsgAsync<InboxAppended>(Timeout);
        Assert.Equal(id, appended.RequestId);
        return appended;
    }

    private async Task<InboxStatus> StatusAsync(IActorRef inbox) => await inbox.Ask<InboxStatus>(GetInboxStatus.Instance, Timeout);

    private async Task StopAsync(IActorRef actor)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(actor);
        actor.Tell(PoisonPill.Instance);
        await watcher.ExpectTerminatedAsync(actor, Timeout);
    }
}
