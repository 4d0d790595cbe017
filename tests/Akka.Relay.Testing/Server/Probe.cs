using System.Diagnostics;

namespace Akka.Relay.Testing.Server;

/// <summary>Observes registration from outside, with real SENDs.</summary>
public static class Probe
{
    /// <summary>How long to wait between two polls of something that takes time to happen.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// SENDs to <paramref name="userId"/> from <paramref name="prober"/> (which must have nothing else
    /// in flight) until the ack is "not online", polling until <paramref name="deadline"/> has passed.
    /// Returns how long it took and how many SENDs were answered "success send" before.
    /// </summary>
    public static async Task<(TimeSpan Elapsed, int Delivered)> UntilOfflineAsync(TestClient prober, ulong userId, TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        var delivered = 0;
        using var timer = new PeriodicTimer(PollInterval);
        while (true)
        {
            await prober.SendToAsync(userId, "probe");
            var ack = await prober.ReceiveTextAsync();
            if (ack == Wire.NotOnline(userId))
            {
                return (watch.Elapsed, delivered);
            }

            Assert.Equal(Wire.SuccessSend(userId), ack);
            delivered++;
            Assert.True(watch.Elapsed < deadline, $"user {userId} was still online after {watch.Elapsed}");
            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>One SEND to <paramref name="userId"/>; asserts the ack is "not online" at once.</summary>
    public static async Task AssertOfflineAsync(TestClient prober, ulong userId)
    {
        await prober.SendToAsync(userId, "are you there?");
        Assert.Equal(Wire.NotOnline(userId), await prober.ReceiveTextAsync());
    }

    /// <summary>
    /// A SEND from <paramref name="from"/> (user <paramref name="fromId"/>) to <paramref name="to"/>
    /// (user <paramref name="toId"/>): it is the next thing <paramref name="to"/> receives, and the ack is the
    /// next thing <paramref name="from"/> receives. Returns the round-trip time.
    /// </summary>
    public static async Task<TimeSpan> RoundTripAsync(TestClient from, ulong fromId, TestClient to, ulong toId, string content = "ping")
    {
        var watch = Stopwatch.StartNew();
        var message = Wire.Send(toId, content);
        await from.SendTextAsync(message);
        Wire.AssertStamped(message, await to.ReceiveTextAsync(), fromId);
        Assert.Equal(Wire.SuccessSend(toId), await from.ReceiveTextAsync());
        return watch.Elapsed;
    }

    /// <summary>Everything that arrives at <paramref name="client"/> until nothing has for <paramref name="quiet"/>.</summary>
    public static async Task<List<string>> ReceiveUntilQuietAsync(TestClient client, TimeSpan quiet)
    {
        var texts = new List<string>();
        while (true)
        {
            Received received;
            try
            {
                received = await client.ReceiveAsync(quiet);
            }
            catch (TimeoutException)
            {
                return texts;
            }

            Assert.False(received.IsEnd, $"the connection ended: {received}");
            texts.Add(received.Text!);
        }
    }
}
