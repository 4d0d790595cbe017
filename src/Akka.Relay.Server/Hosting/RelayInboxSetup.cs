using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Sql;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Hosting;

/// <summary>The inbox's store: options from <c>Relay:Inbox</c>, Akka.Persistence.Sql from hocon/inbox.hocon.</summary>
public static class RelayInboxSetup
{
    /// <summary>Registers and validates <see cref="RelayInboxOptions"/>.</summary>
    public static WebApplicationBuilder AddRelayInbox(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelayInboxOptions>()
            .Bind(builder.Configuration.GetSection(RelayInboxOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RelayInboxOptions>, RelayInboxOptionsValidator>();
        return builder;
    }

    /// <summary>
    /// Configures the journal and snapshot store when the inbox is enabled, and starts both with the actor system, so the
    /// tables exist (and a store that cannot be reached is logged) before the first session opts in.
    /// </summary>
    public static AkkaConfigurationBuilder WithRelayInbox(this AkkaConfigurationBuilder akka, IServiceProvider services)
    {
        var inbox = services.GetRequiredService<IOptions<RelayInboxOptions>>().Value;
        if (!inbox.Enabled)
        {
            return akka;
        }

        if (inbox.IsSqlite)
        {
            UseWriteAheadLog(inbox.ConnectionString);
        }

        // SQLite takes one writer at a time; PostgreSQL serves Akka.Persistence.Sql's default of a few.
        var parallelism = inbox.IsSqlite ? 1 : 3;
        var store = $"provider-name = {Quote(inbox.ProviderName)}\nconnection-string = {Quote(inbox.ConnectionString)}\n";
        var settings =
            $"akka.persistence.journal.sql {{\n{store}parallelism = {parallelism.ToString(CultureInfo.InvariantCulture)}\n}}\n" +
            $"akka.persistence.snapshot-store.sql {{\n{store}}}\n" +
            // The read journal lists the stored inboxes at start (which users have one).
            $"akka.persistence.query.journal.sql {{\n{store}}}\n";

        return akka
            .AddHocon(settings, HoconAddMode.Prepend)
            .AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "inbox.hocon"), HoconAddMode.Append)
            .AddHocon(SqlPersistence.DefaultConfiguration, HoconAddMode.Append)
            .AddHocon(SqlPersistence.DefaultQueryConfiguration, HoconAddMode.Append)
            .WithActors((system, _) =>
            {
                var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
                persistence.JournalFor(null);
                persistence.SnapshotStoreFor(null);
            });
    }

    /// <summary>The single node hub's inbox routing, or null when the inbox is disabled (every session is version 1).</summary>
    public static InboxRouting? SingleNodeRouting(RelayInboxOptions inbox) =>
        inbox.Enabled
            ? new InboxRouting(InboxShelf.GetProps(new InboxShelfSettings(inbox.ToSettings(), ReadJournalId, inbox.PassivateAfter)), inbox.AppendTimeout)
            : null;

    /// <summary>The Akka.Persistence.Sql read journal's plugin id.</summary>
    public const string ReadJournalId = "akka.persistence.query.journal.sql";

    /// <summary>
    /// Puts the SQLite file in write-ahead-log mode (kept in the file itself): a commit appends to the log instead of
    /// rewriting pages through a rollback journal, and readers (recoveries, the start's listing) do not block the writer.
    /// Commits still sync (synchronous=FULL, the default), so a stored message survives a crash of the machine too.
    /// </summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteScalar();
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
