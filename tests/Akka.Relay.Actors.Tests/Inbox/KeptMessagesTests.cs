using Akka.Relay.Actors.Inbox;
using Xunit;

namespace Akka.Relay.Actors.Tests.Inbox;

public sealed class KeptMessagesTests
{
    [Fact]
    public void Keeps_order_through_drops_and_growth_across_the_ring_end()
    {
        var kept = new KeptMessages();
        ulong next = 1;
        var expectedFirst = 1UL;

        // Drop as often as add for a while so the head walks around the ring, then grow while wrapped.
        for (var round = 0; round < 40; round++)
        {
            kept.Add(Message(next++));
            kept.Add(Message(next++));
            kept.DropOldest(1);
            expectedFirst++;
            AssertContiguous(kept, expectedFirst, next - 1);
        }

        for (var i = 0; i < 100; i++)
        {
            kept.Add(Message(next++));
        }

        AssertContiguous(kept, expectedFirst, next - 1);
        Assert.Equal(kept.Count, kept.ToArray().Length);
        Assert.Equal(expectedFirst, kept.ToArray()[0].Seq);
    }

    [Fact]
    public void Dropping_all_or_clearing_leaves_it_empty_and_reusable()
    {
        var kept = new KeptMessages();
        for (ulong seq = 1; seq <= 20; seq++)
        {
            kept.Add(Message(seq));
        }

        kept.DropOldest(20);
        Assert.Equal(0, kept.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => kept[0]);

        kept.Add(Message(21));
        Assert.Equal(21UL, kept[0].Seq);
        kept.Clear();
        Assert.Empty(kept.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => kept.DropOldest(1));
    }

    private static void AssertContiguous(KeptMessages kept, ulong first, ulong last)
    {
        Assert.Equal((int)(last - first + 1), kept.Count);
        for (var i = 0; i < kept.Count; i++)
        {
            Assert.Equal(first + (ulong)i, kept[i].Seq);
        }
    }

    private static StoredMessage Message(ulong seq) => new(seq, 1, null, [], DateTime.UnixEpoch, false);
}
