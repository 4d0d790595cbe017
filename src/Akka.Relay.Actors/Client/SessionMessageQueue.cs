using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Akka.Relay.Actors.Client;

/// <summary>
/// A session actor's message queue: a linked list of one small node per message (many producers, the one mailbox
/// run consuming). An idle session holds one empty node, where the default queue keeps a 32-slot segment
/// (~1 KiB) from the start; the price is one 40-byte allocation per message, which a session gets few of.
/// </summary>
public sealed class SessionMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    // _head is the consumer's: a node whose message was taken (or the initial empty one); its Next is the oldest
    // message. _tail is the last node a producer swapped in (it may not be linked to its predecessor yet).
    private Node _head;
    private Node _tail;

    /// <summary>Creates an empty queue.</summary>
    public SessionMessageQueue()
    {
        _head = _tail = new Node(default);
    }

    /// <inheritdoc />
    // True from the moment a producer swaps in its node, before it is linked: the mailbox then looks again rather
    // than going idle with a message on the way. No counter: one atomic swap per message is all a producer pays.
    public bool HasMessages => !ReferenceEquals(Volatile.Read(ref _tail), Volatile.Read(ref _head));

    /// <inheritdoc />
    // Walks the list: Akka asks for it only for diagnostics, never per message.
    public int Count
    {
        get
        {
            var count = 0;
            for (var node = Volatile.Read(ref _head.Next); node is not null; node = Volatile.Read(ref node.Next))
            {
                count++;
            }

            return count;
        }
    }

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var node = new Node(envelope);
        var previous = Interlocked.Exchange(ref _tail, node);
        Volatile.Write(ref previous.Next, node);
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        var next = Volatile.Read(ref _head.Next);
        if (next is null)
        {
            envelope = default;
            return false;
        }

        envelope = next.Envelope;
        // The taken node becomes the empty head: it must not keep the message alive.
        next.Envelope = default;
        Volatile.Write(ref _head, next);
        return true;
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    private sealed class Node
    {
        public Node(Envelope envelope)
        {
            Envelope = envelope;
        }

        public Envelope Envelope;

        public Node? Next;
    }
}
