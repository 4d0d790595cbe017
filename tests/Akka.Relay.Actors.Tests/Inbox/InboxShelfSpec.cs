using Akka.Relay.Testing.Stores;
using Akka.Actor;
using Akka.Relay.Actors.Inbox;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>The single node's parent of the per-user inboxes: started on demand, stopped when idle, kept while read.</summary>
public sealed class InboxShelfSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PassivateAfter = TimeSpan.FromMilliseconds(300);

    private const string Config = TestJournalConfig.Hocon;

    public InboxShelfSpec(ITestOutputHelper output)
        : base(Config, output: output)
    {
    }

    [Fact]
    public async Task An_inbox_without_readers_is_stopped_once_unused_and_started_again_with_its_messages()
    {
        var shelf = Sys.ActorOf(InboxShelf.GetProps(new InboxShelfSettings(InboxSettings.Default, null, PassivateAfter)));
        var reader = CreateTestProbe();
        shelf.Tell(new ToInbox(7, new OpenInboxReader(0, null, reader.Ref)));
        await reader.ExpectMsgAsync<InboxReaderOpened>(Timeout);
        shelf.Tell(new ToInbox(7, new AppendToInbox(1, 3, null, "{\"type\":1}"u8.ToArray())), TestActor);
        await ExpectMsgAsync<InboxAppended>(Timeout);
        var inbox = await Sys.ActorSelection(shelf.Path / "7").ResolveOne(Timeout);
        Watch(inbox);

        // Read: kept running however long it is unused.
        await ExpectNoMsgAsync(PassivateAfter * 4);

        Sys.Stop(reader.Ref);
        await ExpectTerminatedAsync(inbox, Timeout);

        shelf.Tell(new ToInbox(7, GetInboxStatus.Instance), TestActor);
        var status = await ExpectMsgAsync<InboxStatus>(Timeout);
        Assert.Equal((1UL, 1), (status.Last, status.Kept));
    }
}
