using Akka.Actor;

namespace Akka.Relay.Actors.Hub;

/// <summary>
/// The answers the hub owes each sender, in the order its SENDs arrived: one waiting for an inbox holds back the
/// answers of every later SEND of the same sender, so a client's acks never overtake each other.
/// </summary>
internal sealed class OrderedAnswers
{
    private readonly Dictionary<IActorRef, Queue<PendingAnswer>> _bySender = [];

    /// <summary>True when <paramref name="sender"/> has an answer still waiting (a new answer must queue behind it).</summary>
    public bool IsWaiting(IActorRef sender) => _bySender.ContainsKey(sender);

    /// <summary>Reserves the next answer of <paramref name="sender"/>.</summary>
    public PendingAnswer Reserve(IActorRef sender)
    {
        if (!_bySender.TryGetValue(sender, out var queue))
        {
            queue = new Queue<PendingAnswer>();
            _bySender[sender] = queue;
        }

        var answer = new PendingAnswer(sender);
        queue.Enqueue(answer);
        return answer;
    }

    /// <summary>Sets a reserved answer and sends every answer of its sender that no longer waits for an earlier one.</summary>
    public void Complete(PendingAnswer answer, SendAck ack)
    {
        answer.Ack = ack;
        if (!_bySender.TryGetValue(answer.Sender, out var queue))
        {
            return;
        }

        while (queue.TryPeek(out var head) && head.Ack is { } ready)
        {
            queue.Dequeue();
            head.Sender.Tell(ready);
        }

        if (queue.Count == 0)
        {
            _bySender.Remove(answer.Sender);
        }
    }

    /// <summary>Forgets a sender that stopped: nobody reads its answers any more.</summary>
    public void Forget(IActorRef sender) => _bySender.Remove(sender);
}
