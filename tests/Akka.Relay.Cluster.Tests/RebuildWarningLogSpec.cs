using Akka.Actor;
using Akka.Event;
using Akka.Relay.Cluster.Directory;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>The directory's rebuild warnings: many entities that time out together are one line with their count.</summary>
public sealed class RebuildWarningLogSpec : Akka.TestKit.Xunit2.TestKit
{
    public RebuildWarningLogSpec(ITestOutputHelper output)
        : base(output: output)
    {
    }

    [Fact]
    public async Task Entities_that_time_out_together_are_reported_in_one_warning_with_their_count()
    {
        var log = Sys.ActorOf(RebuildWarningLog.GetProps(TimeSpan.FromMilliseconds(500)));
        // Subscribed once started: Identify is answered after PreStart.
        await log.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(5));
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));

        for (var user = 1UL; user <= 50; user++)
        {
            Sys.EventStream.Publish(new RebuildIncomplete(user, MissingReports: 2, TimeSpan.FromSeconds(2)));
        }

        var warning = await warnings.ExpectMsgAsync<Warning>(TimeSpan.FromSeconds(10));
        Assert.Equal("50 user directory entities started without 100 hub reports within 00:00:02 (first: user 1); they serve with the sessions the other hubs reported", warning.Message.ToString());
        await warnings.ExpectNoMsgAsync(TimeSpan.FromSeconds(1));

        // The next interval starts from zero.
        Sys.EventStream.Publish(new RebuildIncomplete(77, MissingReports: 1, TimeSpan.FromSeconds(2)));
        warning = await warnings.ExpectMsgAsync<Warning>(TimeSpan.FromSeconds(10));
        Assert.StartsWith("1 user directory entities started without 1 hub reports", warning.Message.ToString(), StringComparison.Ordinal);
    }
}
