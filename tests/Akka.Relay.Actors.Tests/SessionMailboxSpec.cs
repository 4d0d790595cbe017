using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests;

/// <summary>
/// The session actor's mailbox: a node per message, FIFO per sender with many senders at once, nothing lost to
/// dead letters at the end, and what <see cref="ClientActor.GetProps"/> gives a session.
/// </summary>
public sealed class SessionMailboxSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public SessionMailboxSpec(ITestOutputHelper output)
        : base(SessionMailbox.Definition, output: output)
    {
    }

    [Fact]
    public void A_session_actor_runs_on_the_session_mailbox()
    {
        var directory = CreateTestProbe();
        var actor = Sys.ActorOf(ClientActor.GetProps(7, directory.Ref, new ClientSettings(512, 1024, TimeSpan.FromSeconds(30)), new SessionSignals()));
        directory.ExpectMsg<Register>(Timeout);

        var cell = Assert.IsType<ActorCell>(((ActorRefWithCell)actor).Underlying);
        Assert.IsType<SessionMessageQueue>(cell.Mailbox?.MessageQueue);
    }

    [Fact]
    public void Messages_come_out_in_the_order_they_went_in_and_the_count_follows()
    {
        var queue = new SessionMessageQueue();
        Assert.False(queue.HasMessages);
        Assert.False(queue.TryDequeue(out _));

        for (var i = 0; i < 100; i++)
        {
            queue.Enqueue(TestActor, new Envelope(i, TestActor));
        }

        Assert.True(queue.HasMessages);
        Assert.Equal(100, queue.Count);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(queue.TryDequeue(out var envelope));
            Assert.Equal(i, envelope.Message);
        }

        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public async Task Many_producers_at_once_lose_nothing_and_each_one_s_messages_stay_in_order()
    {
        const int producers = 4;
        const int each = 20_000;
        var queue = new SessionMessageQueue();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < each; i++)
            {
                queue.Enqueue(TestActor, new Envelope((p, i), TestActor));
            }
        })).ToArray();

        var next = new int[producers];
        var taken = 0;
        start.SetResult();
        var reading = Task.Run(() =>
        {
            // Reads while the producers write, as a mailbox run does, until every message came out.
            while (taken < producers * each)
            {
                if (queue.TryDequeue(out var envelope))
                {
                    var (p, i) = ((int, int))envelope.Message;
                    Assert.Equal(next[p], i);
                    next[p]++;
                    taken++;
                }
                else if (writers.All(w => w.IsCompleted) && !queue.HasMessages)
                {
                    break;
                }
            }
        });

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        await reading.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(producers * each, taken);
        Assert.All(next, n => Assert.Equal(each, n));
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public void Clean_up_hands_what_is_left_to_dead_letters_in_order()
    {
        var queue = new SessionMessageQueue();
        queue.Enqueue(TestActor, new Envelope("a", TestActor));
        queue.Enqueue(TestActor, new Envelope("b", TestActor));
        var deadLetters = new UnboundedMessageQueue();

        queue.CleanUp(TestActor, deadLetters);

        Assert.False(queue.HasMessages);
        Assert.True(deadLetters.TryDequeue(out var first));
        Assert.True(deadLetters.TryDequeue(out var second));
        Assert.Equal(("a", "b"), (first.Message, second.Message));
    }
}
