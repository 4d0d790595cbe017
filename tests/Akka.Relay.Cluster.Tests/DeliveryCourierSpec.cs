using Akka.Actor;
using Akka.Relay.Cluster.Directory;
using Akka.Relay.Cluster.Delivery;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Akka.Relay.Cluster.Tests;

/// <summary>The delivery courier alone: TestProbes stand in for other nodes' hubs and for the hubs that get the answers.</summary>
public sealed class DeliveryCourierSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public DeliveryCourierSpec(ITestOutputHelper output)
        : base(output: output)
    {
    }

    [Fact]
    public async Task Deliveries_reach_their_hub_in_order_batched_per_hub_and_answering_hub()
    {
        var courier = Sys.ActorOf(DeliveryCourier.GetProps());
        var (hubA, hubB) = (CreateTestProbe(), CreateTestProbe());
        var (answersX, answersY) = (CreateTestProbe(), CreateTestProbe());
        var routes = new[] { (hubA, answersX), (hubA, answersY), (hubB, answersX) };
        const int count = 300;

        for (var i = 0; i < count; i++)
        {
            var (hub, answerTo) = routes[i % routes.Length];
            courier.Tell(new CourierDelivery(hub.Ref, new DeliverRouted(7, BitConverter.GetBytes(i), i, Hubs: 1 + (i % 2))), answerTo.Ref);
        }

        var received = new Dictionary<(IActorRef Hub, IActorRef AnswerTo), List<DeliverRouted>>();
        await CollectAsync(hubA, count * 2 / 3, received);
        await CollectAsync(hubB, count / 3, received);

        for (var r = 0; r < routes.Length; r++)
        {
            var (hub, answerTo) = routes[r];
            var expected = Enumerable.Range(0, count).Where(i => i % routes.Length == r).ToList();
            var deliveries = received[(hub.Ref, answerTo.Ref)];
            Assert.Equal(expected, deliveries.Select(d => (int)d.Sequence));
            Assert.All(deliveries, d => Assert.Equal((int)d.Sequence, BitConverter.ToInt32(d.Payload)));
            Assert.All(deliveries, d => Assert.Equal(1 + (d.Sequence % 2), d.Hubs));
        }
    }

    [Fact]
    public async Task A_batch_leaves_once_it_holds_32_KiB_so_it_stays_under_the_remote_frame_size()
    {
        var courier = Sys.ActorOf(DeliveryCourier.GetProps());
        var (hub, answerTo) = (CreateTestProbe(), CreateTestProbe());
        const int count = 100;
        const int payloadBytes = 512;

        for (var i = 0; i < count; i++)
        {
            courier.Tell(new CourierDelivery(hub.Ref, new DeliverRouted(7, new byte[payloadBytes], i, Hubs: 1)), answerTo.Ref);
        }

        var sequences = new List<long>();
        var batches = 0;
        while (sequences.Count < count)
        {
            var batch = await hub.ExpectMsgAsync<DeliveryBatch>(Timeout);
            batches++;
            Assert.True(batch.Deliveries.Sum(d => d.Payload.Length) < (32 * 1024) + payloadBytes, "a batch over the cap");
            sequences.AddRange(batch.Deliveries.Select(d => d.Sequence));
        }

        // 100 x 512 bytes = 50 KiB cannot travel in one batch.
        Assert.True(batches >= 2, $"{batches} batch(es)");
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), sequences);
    }

    private static async Task CollectAsync(TestProbe hub, int expected, Dictionary<(IActorRef Hub, IActorRef AnswerTo), List<DeliverRouted>> received)
    {
        var count = 0;
        while (count < expected)
        {
            var batch = await hub.ExpectMsgAsync<DeliveryBatch>(Timeout);
            var key = (hub.Ref, hub.LastSender);
            if (!received.TryGetValue(key, out var list))
            {
                list = new List<DeliverRouted>();
                received[key] = list;
            }

            list.AddRange(batch.Deliveries);
            count += batch.Deliveries.Count;
        }

        await hub.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }
}
