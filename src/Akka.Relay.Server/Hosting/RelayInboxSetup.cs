using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Hosting;

/// <summary>The inbox's store: options from <c>Relay:Inbox</c>, the relay's journal and snapshot store from hocon/inbox.hocon.</summary>
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

        var settings =
            $"akka.persistence.journal.relay {{\nstore = {Quote(inbox.IsSqlite ? RelayInboxOptions.Sqlite : RelayInboxOptions.PostgreSql)}\n" +
            $"connection-string = {Quote(inbox.ConnectionString)}\n}}\n";

        return akka
            .AddHocon(settings, HoconAddMode.Prepend)
            .AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "inbox.hocon"), HoconAddMode.Append)
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

    /// <summary>The inbox journal's read journal (<c>InboxStore/InboxReadJournal</c>): lists the stored inboxes at start.</summary>
    public const string ReadJournalId = "akka.persistence.query.journal.relay";

    /// <summary>
    /// Puts a SQLite file in write-ahead-log mode before anything else opens it (as before the journal of its own):
    /// the switch wants the file to itself, and left to the journal's first use it meets the start's listing and the
    /// first recoveries on a fresh file. The journal's own switch is then a no-op.
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
