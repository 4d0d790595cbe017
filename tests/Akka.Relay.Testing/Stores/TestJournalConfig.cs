namespace Akka.Relay.Testing.Stores;

/// <summary>The TestKit's journal and snapshot store (Akka.Persistence.TestKit.config.conf, 1.5.73), whose failures a test injects.</summary>
public static class TestJournalConfig
{
    /// <summary>The journal and snapshot store settings.</summary>
    public const string Hocon = """
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
        akka.persistence.journal.test.plugin-dispatcher = "akka.actor.default-dispatcher"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
        akka.persistence.snapshot-store.test.plugin-dispatcher = "akka.actor.default-dispatcher"
        akka.loglevel = WARNING
        """;
}
