using Akka.Actor;
using Akka.Persistence;

namespace Akka.Relay.Server.Tests.InboxStore;

/// <summary>
/// A persistent actor for the journal specs: persists each string it is told (PersistAsync, as the inbox does) and
/// answers its sequence number; <c>"state"</c> answers the events it holds, in order (recovered and written).
/// </summary>
public sealed class CountingActor : ReceivePersistentActor
{
    private readonly List<string> _events = [];

    /// <summary>An actor for <paramref name="persistenceId"/>.</summary>
    public CountingActor(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<string>(e => _events.Add(e));
        Command<string>(c => c == "state", _ => Sender.Tell(_events.ToArray()));
        Command<string>(c =>
        {
            var replyTo = Sender;
            PersistAsync(c, e =>
            {
                _events.Add(e);
                replyTo.Tell(LastSequenceNr);
            });
        });
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <summary>Props of an actor for <paramref name="persistenceId"/>.</summary>
    public static Props GetProps(string persistenceId) => Props.Create(() => new CountingActor(persistenceId));
}
