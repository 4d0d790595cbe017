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
    // message. _tail is the last node a producer linked in.
    private Node _head;
    private Node _tail;

    // Raised before a message is linked and lowered when it is taken, so HasMessages is never false while a
    // producer is between swapping the tail and linking its node (the mailbox then looks again, rather than idling
    // with a message in it).
    private int _count;

    /// <summary>Creates an empty queue.</summary>
    public SessionMessageQueue()
    {
        _head = _tail = new Node(default);
    }

    /// <inheritdoc />
    public bool HasMessages => Volatile.Read(ref _count) > 0;

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var node = new Node(envelope);
        Interlocked.Increment(ref _count);
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
        _head = next;
        Interlocked.Decrement(ref _count);
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
