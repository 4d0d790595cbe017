using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Relay.Actors.Inbox;

namespace Akka.Relay.Cluster.Directory;

/// <summary>
/// A directory entity's side of its user's inbox: the inbox actor (its child, started only once the user is known to
/// hold one, so users who never opted in cost no persistent actor), the SENDs waiting for the store, and their deadlines.
/// </summary>
internal sealed class UserInbox(ulong userId, DirectoryInboxSettings settings, Address selfAddress)
{
    private readonly Dictionary<long, PendingAppend> _pending = [];

    private readonly AppendDeadlines _deadlines = new(settings.AppendTimeout);
    private readonly List<long> _due = [];
    private IActorRef? _actor;
    private long _nextRequestId;

    /// <summary>True when the user is known to hold an inbox (SENDs to it are stored first).</summary>
    public bool Exists { get; set; }

    /// <summary>True while some SEND waits for the store.</summary>
    public bool AnyPending => _pending.Count > 0;

    /// <summary>How often the deadlines are checked while SENDs wait.</summary>
    public TimeSpan CheckInterval => _deadlines.CheckInterval;

    /// <summary>The inbox actor, started (and recovering from the store) on first use.</summary>
    public IActorRef ActorIn(IActorContext context)
    {
        if (_actor is null)
        {
            _actor = context.ActorOf(InboxActor.GetSupervisedProps(userId, settings.Inbox), "inbox");
            context.Watch(_actor);
        }

        return _actor;
    }

    /// <summary>True when <paramref name="actor"/> is this inbox's actor (then it is forgotten: the next use starts it again).</summary>
    public bool Ended(IActorRef actor)
    {
        if (!actor.Equals(_actor))
        {
            return false;
        }

        _actor = null;
        return true;
    }

    /// <summary>Tells the inbox actor <paramref name="message"/> if it runs (a reader it does not have needs no closing).</summary>
    public void TellIfRunning(object message) => _actor?.Tell(message);

    /// <summary>Stops the inbox actor (the user no longer holds an inbox).</summary>
    public void Stop(IActorContext context)
    {
        if (_actor is not null)
        {
            context.Unwatch(_actor);
            context.Stop(_actor);
            _actor = null;
        }
    }

    /// <summary>Asks the inbox to store <paramref name="send"/>; its answer carries the returned request id.</summary>
    public void Append(IActorContext context, RouteSend send, IActorRef sendersHub, bool sessionsLive)
    {
        var requestId = ++_nextRequestId;
        _pending[requestId] = new PendingAppend(send, sendersHub, Stopwatch.GetTimestamp());
        _deadlines.Add(requestId);

        // Without a client mid the sending hub's own SEND number names the message: a retry that reaches a new
        // entity after a crash (the first copy stored, its answer lost) is then recognised instead of stored twice.
        var mid = send.Mid ?? HubMid(sendersHub, send.Sequence);
        ActorIn(context).Tell(new AppendToInbox(requestId, send.SenderId, mid, send.Payload) { SessionsLive = sessionsLive });
    }

    /// <summary>Takes the SEND that <paramref name="requestId"/> answers; false when it was answered already (timed out).</summary>
    public bool TryTake(long requestId, out PendingAppend append) => _pending.Remove(requestId, out append!);

    /// <summary>Takes every SEND whose wait for the store is over.</summary>
    public void TakeOverdue(List<PendingAppend> overdue)
    {
        _deadlines.TakeDue(_pending.ContainsKey, _due);
        foreach (var requestId in _due)
        {
            if (_pending.Remove(requestId, out var append))
            {
                overdue.Add(append);
            }
        }

        _due.Clear();
    }

    private string HubMid(IActorRef hub, long sequence)
    {
        // A hub on this node has a local address: name it by the node's cluster address, as other nodes do.
        var address = hub.Path.Address.HasLocalScope ? selfAddress : hub.Path.Address;
        return string.Create(CultureInfo.InvariantCulture, $"~{address.Host}:{address.Port}/{hub.Path.Uid:x}/{sequence:x}");
    }
}

/// <summary>A SEND waiting for the inbox store, and whom to answer.</summary>
internal sealed record PendingAppend(RouteSend Send, IActorRef SendersHub, long StartedAt);
