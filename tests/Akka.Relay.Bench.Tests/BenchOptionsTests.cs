using Akka.Relay.Bench.Scenarios;

namespace Akka.Relay.Bench.Tests;

/// <summary>The command line of the inbox options: pairs --resume and the storm scenario.</summary>
public sealed class BenchOptionsTests
{
    [Fact]
    public void Pairs_do_not_opt_in_unless_asked()
    {
        Assert.Equal("none", BenchOptions.Parse(["pairs"]).Resume);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("half")]
    [InlineData("all")]
    public void Pairs_take_every_resume_mode(string mode)
    {
        var options = BenchOptions.Parse(["pairs", "--resume", mode]);

        Assert.Equal(mode, options.Resume);
        Assert.Contains(new KeyValuePair<string, string>("resume", mode), options.Describe());
    }

    [Fact]
    public void An_unknown_resume_mode_is_refused_with_the_modes()
    {
        var e = Assert.Throws<UsageException>(() => BenchOptions.Parse(["pairs", "--resume", "receivers"]));

        Assert.Contains("none, half, all", e.Message);
    }

    [Fact]
    public void Resume_applies_to_pairs_only()
    {
        Assert.Throws<UsageException>(() => BenchOptions.Parse(["broadcast", "--resume", "all"]));
        Assert.Throws<UsageException>(() => BenchOptions.Parse(["storm", "--resume", "all"]));
    }

    [Fact]
    public void Half_opts_in_the_second_client_of_every_pair_and_all_every_client()
    {
        Assert.Equal([false, true, false, true], Enumerable.Range(0, 4).Select(i => PairsScenario.OptsIn("half", i)));
        Assert.All(Enumerable.Range(0, 4), i => Assert.True(PairsScenario.OptsIn("all", i)));
        Assert.All(Enumerable.Range(0, 4), i => Assert.False(PairsScenario.OptsIn("none", i)));
    }

    [Fact]
    public void Storm_has_its_own_defaults()
    {
        var options = BenchOptions.Parse(["storm"]);

        Assert.Equal(2000, options.Users);
        Assert.Equal(50, options.Messages);
        Assert.Equal(20, options.Senders);
        Assert.Equal(32, options.Window);
        Assert.Equal(0, options.Concurrency);
        Assert.Equal(TimeSpan.FromSeconds(120), options.Duration);
        Assert.Equal(TimeSpan.Zero, options.Warmup);
        Assert.Contains(new KeyValuePair<string, string>("concurrency", "all"), options.Describe());
    }

    [Fact]
    public void Storm_takes_its_sizes()
    {
        var options = BenchOptions.Parse(["storm", "--users", "300", "--messages", "20", "--senders", "700", "--concurrency", "100"]);

        Assert.Equal(300, options.Users);
        Assert.Equal(20, options.Messages);
        Assert.Equal(700, options.Senders);
        Assert.Equal(100, options.Concurrency);
    }

    [Fact]
    public void Storm_refuses_more_messages_than_an_inbox_keeps_by_default()
    {
        Assert.Throws<UsageException>(() => BenchOptions.Parse(["storm", "--messages", "1001"]));
    }

    [Fact]
    public void Other_scenarios_keep_their_defaults()
    {
        var churn = BenchOptions.Parse(["churn"]);
        var pairs = BenchOptions.Parse(["pairs"]);

        Assert.Equal(10, churn.Messages);
        Assert.Equal(8, churn.Concurrency);
        Assert.Equal(64, pairs.Concurrency);
        Assert.Equal(TimeSpan.FromSeconds(10), pairs.Duration);
        Assert.Throws<UsageException>(() => BenchOptions.Parse(["broadcast", "--clients", "5", "--senders", "6"]));
    }
}
