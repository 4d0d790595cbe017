using System.Collections.Concurrent;
using Akka.Actor;

namespace Akka.Relay.Server.InboxStore;

/// <summary>
/// The stores of one actor system's inbox journal, shared by its journal, its snapshot store and its read journal: one
/// <see cref="JournalWriter"/> per database, so that a snapshot is committed by the same writer as the events (SQLite
/// allows one writer at a time; a second one made every inbox wait for the lock), and one pool for the reads.
/// </summary>
internal sealed class InboxStorage : IExtension
{
    private readonly ConcurrentDictionary<JournalStoreSettings, Lazy<Stores>> _stores = new();

    private InboxStorage(ExtendedActorSystem system)
    {
        // After every actor stopped: the batch being written finishes and its requesters are told, then the connections close.
        system.RegisterOnTermination(() =>
        {
            foreach (var stores in _stores.Values.Where(s => s.IsValueCreated).Select(s => s.Value))
            {
                stores.Writer.DisposeAsync().AsTask().ContinueWith(_ => stores.Reads.DisposeAsync().AsTask(), TaskScheduler.Default);
            }
        });
    }

    /// <summary>The stores of <paramref name="system"/> for the database <paramref name="settings"/> name.</summary>
    public static Stores For(ActorSystem system, JournalStoreSettings settings) =>
        system.WithExtension<InboxStorage, InboxStorageId>()._stores
            .GetOrAdd(settings, s => new Lazy<Stores>(() => Open((ExtendedActorSystem)system, s)))
            .Value;

    private static Stores Open(ExtendedActorSystem system, JournalStoreSettings settings) =>
        // The writer has a store of its own: its connection is never shared with a read.
        new(new JournalWriter(settings.CreateWriterStore(), settings.MaxBatchRows, Akka.Event.Logging.GetLogger(system, typeof(InboxStorage))), settings.CreateStore());

    /// <summary>The one writer and the reads' store of one database.</summary>
    public sealed record Stores(JournalWriter Writer, IJournalStore Reads);

    private sealed class InboxStorageId : ExtensionIdProvider<InboxStorage>
    {
        public override InboxStorage CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
