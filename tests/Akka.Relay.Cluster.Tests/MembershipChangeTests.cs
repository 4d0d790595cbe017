using Akka.Relay.Cluster.Tests.Infrastructure;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>
/// Real server processes: pairs of users on two nodes that stay send without pause while a third node leaves
/// gracefully (SIGTERM) and then a fourth joins; the directory's shards move both times.
/// </summary>
[Trait("Category", "Slow")]
[Collection(ProcessClusterCollection.Name)]
public sealed class MembershipChangeTests
{
    // With 100 shards over three nodes, the directory entities of 16 receivers all missing the leaving node is a 0.2 % chance.
    private const int Pairs = 16;
    // A SEND held through a shard's move is retried every 300 ms and answered at once when the shard is back (measured
    // 0.35-0.6 s at worst on a quiet machine); the bound tells that apart from a SEND stalled until the 30 s give-up,
    // with room for a loaded 2-core machine running other test projects at once (1.006 s seen there).
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private readonly ITestOutputHelper _output;

    public MembershipChangeTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Pairs_on_staying_nodes_get_every_SEND_once_in_order_answered_success_within_seconds_while_a_node_leaves_and_another_joins()
    {
        // Shards rebalance onto a joining node in rounds; a short interval makes several happen while the test sends.
        (string, string) rebalance = ("AKKA__CLUSTER__SHARDING__REBALANCE_INTERVAL", "2s");
        await using var cluster = await ProcessCluster.StartAsync(3, rebalance);
        var (node1, node2, node3) = (cluster.Node(0), cluster.Node(1), cluster.Node(2));

        await using var traffic = await PairTraffic.StartAsync(node1, node2, Pairs, Startup);
        await traffic.UntilEachAnsweredAsync(10, TimeSpan.FromSeconds(60));

        var termAt = traffic.Now;
        var code = await node3.TerminateAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"the leaving node exited with {code}\n{node3.Log}");
        await cluster.WaitForMembersUpAsync(2, TimeSpan.FromSeconds(60));
        await traffic.UntilEachAnsweredAsync(20, TimeSpan.FromSeconds(60));

        var joinAt = traffic.Now;
        cluster.AddNode();
        await ProcessProbes.WaitForMembersUpAsync(node1, 3, Startup);
        // Keep sending through several rebalance rounds (each moves up to a tenth of the shards to the new node).
        var upAt = traffic.Now;
        await traffic.UntilEachAnsweredAsync(20, TimeSpan.FromSeconds(60));
        while (traffic.Now - upAt < TimeSpan.FromSeconds(20))
        {
            await traffic.UntilEachAnsweredAsync(10, TimeSpan.FromSeconds(60));
        }

        var answers = await traffic.StopAsync(TimeSpan.FromSeconds(60));

        Report("before the leave", answers.Where(a => a.SentAt < termAt));
        Report("SIGTERM to the join", answers.Where(a => a.SentAt >= termAt && a.SentAt < joinAt));
        Report("join and rebalance", answers.Where(a => a.SentAt >= joinAt));
        var wrong = answers.Where(a => a.Text != Wire.SuccessSend(a.ReceiverId)).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} SENDs between connected users were not answered 'success send', e.g. {wrong.FirstOrDefault()}\n{node1.Log}\n{node2.Log}");
        var slow = answers.Where(a => a.Took >= AnswerBound).ToList();
        Assert.True(slow.Count == 0, $"{slow.Count} SENDs were answered after {AnswerBound}, the slowest {slow.MaxBy(a => a.Took)}");
    }

    private void Report(string phase, IEnumerable<PairTraffic.Answer> answers)
    {
        var list = answers.ToList();
        if (list.Count == 0)
        {
            _output.WriteLine($"{phase}: no answers");
            return;
        }

        var sorted = list.Select(a => a.Took.TotalMilliseconds).Order().ToList();
        _output.WriteLine($"{phase}: {list.Count} answers, p50 {sorted[sorted.Count / 2]:F0} ms, p99 {sorted[(int)(sorted.Count * 0.99)]:F0} ms, max {sorted[^1]:F0} ms, {sorted.Count(t => t >= 250)} over 250 ms");
    }
}
