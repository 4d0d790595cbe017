using Akka.Actor;
using Akka.Relay.Testing.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Tests;

/// <summary>Relay:Inbox: the store the server configures at start, and the settings it refuses.</summary>
public sealed class InboxConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-inbox-config-").FullName;

    [Fact]
    public async Task The_server_starts_with_the_default_store_and_creates_the_sqlite_file_where_the_setting_says()
    {
        var database = Path.Combine(_directory, "inbox.db");

        await using var server = await RelayServer.StartAsync(("Relay:Inbox:ConnectionString", "Data Source=" + database));

        var config = server.App.Services.GetRequiredService<ActorSystem>().Settings.Config;
        Assert.Equal("akka.persistence.journal.relay", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("sqlite", config.GetString("akka.persistence.journal.relay.store"));
        Assert.Equal("Data Source=" + database, config.GetString("akka.persistence.journal.relay.connection-string"));
        Assert.Equal("akka.persistence.snapshot-store.relay", config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.Equal("akka.persistence.journal.relay", config.GetString("akka.persistence.snapshot-store.relay.journal-plugin"));
        Assert.Equal("akka.persistence.journal.relay", config.GetString("akka.persistence.query.journal.relay.journal-plugin"));
        var ready = new TaskCompletionSource();
        using var watcher = new FileSystemWatcher(_directory) { EnableRaisingEvents = true };
        watcher.Created += (_, _) => ready.TrySetResult();
        if (!File.Exists(database))
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(File.Exists(database));
    }

    [Fact]
    public async Task A_disabled_inbox_configures_no_store()
    {
        var database = Path.Combine(_directory, "inbox.db");

        await using var server = await RelayServer.StartAsync(("Relay:Inbox:Enabled", "false"), ("Relay:Inbox:ConnectionString", "Data Source=" + database));

        var config = server.App.Services.GetRequiredService<ActorSystem>().Settings.Config;
        Assert.NotEqual("akka.persistence.journal.relay", config.GetString("akka.persistence.journal.plugin", ""));
        Assert.False(File.Exists(database));
    }

    [Fact]
    public async Task Akka_configuration_keys_win_over_the_inbox_options()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:Inbox:ConnectionString", "Data Source=" + Path.Combine(_directory, "inbox.db")),
            ("akka:persistence:journal:relay:max-batch-rows", "250"),
            ("akka:persistence:journal:relay:max-connections", "3"));

        var config = server.App.Services.GetRequiredService<ActorSystem>().Settings.Config;
        Assert.Equal(250, config.GetInt("akka.persistence.journal.relay.max-batch-rows"));
        Assert.Equal(3, config.GetInt("akka.persistence.journal.relay.max-connections"));
    }

    [Fact]
    public async Task A_cluster_with_the_embedded_sqlite_store_refuses_to_start_and_says_why()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RelayServer.StartAsync(
            ("Relay:Cluster:Enabled", "true"),
            ("Relay:Cluster:FormNewCluster", "true"),
            ("Relay:Cluster:Port", "0")));

        Assert.Contains("Relay:Inbox:Store 'sqlite' cannot serve a cluster", failure.Message);
        Assert.Contains("every node must reach the same store", failure.Message);
    }

    [Theory]
    [InlineData("Relay:Inbox:Store", "mysql", "Relay:Inbox:Store must be 'sqlite' or 'postgresql' (was 'mysql').")]
    [InlineData("Relay:Inbox:MaxMessages", "0", "Relay:Inbox:MaxMessages must be at least 1 (was 0).")]
    [InlineData("Relay:Inbox:SnapshotEvery", "-1", "Relay:Inbox:SnapshotEvery must be 0 (three times MaxMessages) or more (was -1).")]
    [InlineData("Relay:Inbox:IdleExpiry", "00:00:00", "Relay:Inbox:MaxAge and IdleExpiry must be positive time spans.")]
    [InlineData("Relay:Inbox:OpenTimeout", "00:00:00", "Relay:Inbox:AppendTimeout, OpenTimeout and PassivateAfter must be positive time spans.")]
    [InlineData("Relay:Inbox:ConnectionString", " ", "Relay:Inbox:ConnectionString must be set.")]
    [InlineData("Relay:Inbox:ShedWritesAfter", "00:00:05", "Relay:Inbox:ShedWritesAfter must be zero (off) or shorter than Relay:Inbox:AppendTimeout: refusing must come before the requester gives up.")]
    public async Task A_bad_inbox_setting_stops_the_server_with_a_clear_message(string key, string value, string message)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RelayServer.StartAsync((key, value)));

        Assert.Contains(message, failure.Message);
    }

    [Theory]
    [InlineData(0, 1000, 3000)]
    [InlineData(0, 10, 30)]
    [InlineData(500, 1000, 500)]
    public void Snapshots_come_every_SnapshotEvery_messages_and_unset_every_three_times_MaxMessages(int snapshotEvery, int maxMessages, int expected)
    {
        var options = new Akka.Relay.Server.Options.RelayInboxOptions { SnapshotEvery = snapshotEvery, MaxMessages = maxMessages };

        Assert.Equal(expected, options.ToSettings().EffectiveSnapshotEvery);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

}
