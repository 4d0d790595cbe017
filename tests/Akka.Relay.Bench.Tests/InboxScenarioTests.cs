using System.Text.Json;
using Akka.Relay.Bench.Connection;
using Akka.Relay.Bench.Reporting;
using Akka.Relay.Bench.Scenarios;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Bench.Tests;

/// <summary>
/// The load tool's inbox options against the real server (in process, real sockets, its own SQLite
/// file): what the tool counts must agree with what the server stored. Small sizes, generous bounds:
/// these check the counting, never the speed.
/// </summary>
public sealed class InboxScenarioTests : IDisposable
{
    private static long _nextIdBase = 7_000_000_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-bench-tests-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<RelayServer> StartAsync(params (string Key, string Value)[] settings) =>
        RelayServer.StartAsync([
            ("Relay:Inbox:ConnectionString", "Data Source=" + Path.Combine(_directory, "inbox.db")),
            ("Relay:Api:Key", ApiClient.Key),
            .. settings]);

    private static BenchOptions Options(RelayServer server, params string[] args) =>
        BenchOptions.Parse([.. args, "--url", server.BaseUri.ToString(), "--quiet", "--id-base", Interlocked.Add(ref _nextIdBase, 100_000).ToString()]);

    private static double Metric(BenchResult result, string name) =>
        result.Metrics.SingleOrDefault(m => m.Name == name)?.Value ?? throw new Xunit.Sdk.XunitException($"no metric {name}: {string.Join(", ", result.Metrics.Select(m => m.Name))}");

    // Notes about the run itself (e.g. the load generator using most of a busy machine's cores) are no verdict on the server.
    private static string[] Verdicts(BenchResult result) =>
        result.Notes.Where(n => !n.StartsWith("the load generator used", StringComparison.Ordinal)).ToArray();

    private static async Task<ulong?> LastSeqAsync(ApiClient api, ulong user)
    {
        var (_, body) = await api.GetAsync($"api/users/{user}");
        return body.ValueKind == JsonValueKind.Object && body.TryGetProperty("inbox", out var inbox) ? inbox.GetProperty("lastSeq").GetUInt64() : null;
    }

    [Fact]
    public async Task Storm_stores_every_message_for_offline_users_and_each_resumes_with_all_of_them_in_order()
    {
        await using var server = await StartAsync();
        var options = Options(server, "storm", "--users", "30", "--messages", "10", "--senders", "4", "--duration", "120");
        using var factory = new ConnectionFactory([]);

        var result = await StormScenario.RunAsync(options, factory, CancellationToken.None);

        Assert.Empty(Verdicts(result));
        Assert.Empty(result.Errors);
        Assert.Equal(300, Metric(result, "fill_sent"));
        Assert.Equal(300, Metric(result, "fill_stored"));
        Assert.Equal(0, Metric(result, "fill_success_send") + Metric(result, "fill_not_online") + Metric(result, "fill_inbox_unavailable") + Metric(result, "fill_unanswered"));
        Assert.Equal(30, Metric(result, "resumed_complete"));
        Assert.Equal(300, Metric(result, "replayed_total"));
        Assert.Equal(0, Metric(result, "missing_messages") + Metric(result, "seq_violations") + Metric(result, "content_mismatches"));
        Assert.Equal(0, Metric(result, "replayed_despite_refusal"));
        Assert.Equal(0, Metric(result, "resume_header_problems") + Metric(result, "epoch_changes") + Metric(result, "unexpected_messages"));
        Assert.Equal(30, Metric(result, "time_to_last_message_samples"));
        Assert.True(Metric(result, "storm_all_done_s") > 0);

        using var api = new ApiClient(server.BaseUri);
        Assert.Equal(10UL, await LastSeqAsync(api, options.IdBase));
        Assert.Equal(10UL, await LastSeqAsync(api, options.IdBase + 29));
        Assert.Null(await LastSeqAsync(api, options.IdBase + 30)); // the first sender never opted in
    }

    [Fact]
    public async Task Pairs_with_resume_all_see_the_header_and_seq_1_2_3_and_the_server_stored_every_message()
    {
        await using var server = await StartAsync();
        var options = Options(server, "pairs", "--pairs", "3", "--window", "8", "--resume", "all", "--warmup", "0", "--duration", "1", "--drain", "60");
        using var factory = new ConnectionFactory([]);

        var result = await PairsScenario.RunAsync(options, factory, CancellationToken.None);

        Assert.Empty(Verdicts(result));
        Assert.Equal(6, Metric(result, "opted_in_clients"));
        Assert.True(Metric(result, "sent_total") > 0);
        Assert.Equal(Metric(result, "sent_total"), Metric(result, "acked_total"));
        Assert.Equal(Metric(result, "sent_total"), Metric(result, "delivered_total"));
        Assert.Equal(0, Metric(result, "seq_violations") + Metric(result, "resume_header_problems") + Metric(result, "fifo_violations"));
        Assert.Equal(0, Metric(result, "stored_replies") + Metric(result, "inbox_unavailable") + Metric(result, "lost") + Metric(result, "unanswered"));
        Assert.Equal(0, Metric(result, "delivered_despite_refusal"));

        // Every message was persisted: the inboxes hold as many as were delivered.
        using var api = new ApiClient(server.BaseUri);
        ulong stored = 0;
        for (var i = 0UL; i < 6; i++)
        {
            stored += await LastSeqAsync(api, options.IdBase + i) ?? 0;
        }

        Assert.Equal((ulong)Metric(result, "delivered_total"), stored);
    }

    [Fact]
    public async Task Pairs_with_resume_half_give_seq_to_the_second_client_of_each_pair_only()
    {
        await using var server = await StartAsync();
        var options = Options(server, "pairs", "--pairs", "2", "--window", "8", "--resume", "half", "--warmup", "0", "--duration", "1", "--drain", "60");
        using var factory = new ConnectionFactory([]);

        var result = await PairsScenario.RunAsync(options, factory, CancellationToken.None);

        Assert.Empty(Verdicts(result));
        Assert.Equal(2, Metric(result, "opted_in_clients"));
        Assert.Equal(0, Metric(result, "seq_violations") + Metric(result, "resume_header_problems") + Metric(result, "lost") + Metric(result, "unanswered"));
        using var api = new ApiClient(server.BaseUri);
        Assert.Null(await LastSeqAsync(api, options.IdBase));
        Assert.NotNull(await LastSeqAsync(api, options.IdBase + 1));
        Assert.Null(await LastSeqAsync(api, options.IdBase + 2));
        Assert.NotNull(await LastSeqAsync(api, options.IdBase + 3));
    }

    [Fact]
    public async Task Storm_against_a_server_with_the_inbox_off_is_a_setup_failure_that_says_why()
    {
        await using var server = await StartAsync(("Relay:Inbox:Enabled", "false"));
        var options = Options(server, "storm", "--users", "3", "--messages", "2", "--duration", "60");
        using var factory = new ConnectionFactory([]);

        var e = await Assert.ThrowsAsync<SetupException>(() => StormScenario.RunAsync(options, factory, CancellationToken.None));

        Assert.Contains("http-400", e.Message);
        Assert.Contains("refuses ?resume=", e.Message);
    }
}
