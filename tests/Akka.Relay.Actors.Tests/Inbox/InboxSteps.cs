using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Relay.Actors.Inbox;
using Akka.TestKit;

namespace Akka.Relay.Actors.Tests.Inbox;

/// <summary>Steps the store specs share: fill an inbox, stop an actor, time a recovery.</summary>
internal static class InboxSteps
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The SEND sender 3 makes to <paramref name="receiver"/>, as the parser stamps it.</summary>
    public static byte[] Message(ulong receiver, string content) =>
        Encoding.UTF8.GetBytes($$"""{"sender":3,"type":1,"receiver":{{receiver}},"content":"{{content}}"}""");

    /// <summary>Creates <paramref name="user"/>'s inbox (a reader opens and leaves) and returns its epoch.</summary>
    public static async Task<string> CreateAsync(TestKitBase kit, IActorRef inbox)
    {
        var creator = kit.CreateTestProbe();
        inbox.Tell(new OpenInboxReader(0, null, creator.Ref));
        var epoch = (await creator.ExpectMsgAsync<InboxReaderOpened>(Timeout)).Epoch;
        inbox.Tell(new CloseInboxReader(creator.Ref));
        return epoch;
    }

    /// <summary>Sends <paramref name="count"/> messages m1..mN at once (a burst) and checks each got its seq.</summary>
    public static async Task AppendManyAsync(TestKitBase kit, IActorRef inbox, ulong receiver, int count)
    {
        var sender = kit.CreateTestProbe();
        for (var i = 1; i <= count; i++)
        {
            inbox.Tell(new AppendToInbox(i, 3, null, Message(receiver, "m" + i)), sender.Ref);
        }

        for (var i = 1; i <= count; i++)
        {
            var appended = await sender.ExpectMsgAsync<InboxAppended>(Timeout);
            if (appended.Seq != (ulong)i)
            {
                throw new InvalidOperationException($"append {i} got seq {appended.Seq}");
            }
        }
    }

    public static async Task StopAsync(TestKitBase kit, IActorRef actor)
    {
        var watcher = kit.CreateTestProbe();
        watcher.Watch(actor);
        actor.Tell(PoisonPill.Instance);
        await watcher.ExpectTerminatedAsync(actor, Timeout);
    }

    /// <summary>
    /// Stores 1000 messages for <paramref name="user"/>, then starts its inbox 5 times and times each start until the inbox
    /// answers (it answers only once recovered). No assertion on the time: a shared machine; the numbers are for the docs.
    /// </summary>
    public static async Task<string> MeasureRecoveryOf1000Async(TestKitBase kit, ulong user, InboxSettings settings)
    {
        var inbox = kit.Sys.ActorOf(InboxActor.GetProps(user, settings));
        await CreateAsync(kit, inbox);
        await AppendManyAsync(kit, inbox, user, 1000);
        await StopAsync(kit, inbox);

        var times = new List<double>();
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            var recovered = kit.Sys.ActorOf(InboxActor.GetProps(user, settings));
            var status = await recovered.Ask<InboxStatus>(GetInboxStatus.Instance, Timeout);
            watch.Stop();
            if ((status.First, status.Last, status.Kept) != (1UL, 1000UL, 1000))
            {
                throw new InvalidOperationException($"recovered {status}, not messages 1..1000");
            }

            times.Add(watch.Elapsed.TotalMilliseconds);
            await StopAsync(kit, recovered);
        }

        times.Sort();
        return $"median {times[2]:F0} ms (runs: {string.Join(", ", times.Select(t => t.ToString("F0")))} ms)";
    }
}
