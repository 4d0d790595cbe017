using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Inbox;
using Microsoft.Extensions.DependencyInjection;

namespace Akka.Relay.Testing.Server;

/// <summary>Steps of the inbox tests: a server on its own SQLite file, resuming sessions, and the resume header.</summary>
public static class InboxServer
{
    /// <summary>Starts a server whose inbox store is a fresh SQLite file in <paramref name="directory"/>.</summary>
    public static Task<RelayServer> StartAsync(string directory, params (string Key, string Value)[] settings) =>
        RelayServer.StartAsync([("Relay:Inbox:ConnectionString", "Data Source=" + Path.Combine(directory, "inbox.db")), ("Relay:Api:Key", ApiClient.Key), .. settings]);

    /// <summary>Connects <paramref name="userId"/> with <c>?resume=</c><paramref name="seq"/> (and the epoch when given).</summary>
    public static Task<TestClient> ResumeAsync(this RelayServer server, ulong userId, ulong seq, string? epoch = null) =>
        TestClient.ConnectAsync(ResumeUri(server.WebSocketUri(userId.ToString(CultureInfo.InvariantCulture)), seq, epoch), autoRead: true);

    /// <summary>The WebSocket URI <paramref name="uri"/> with the resume query.</summary>
    public static Uri ResumeUri(Uri uri, ulong seq, string? epoch) =>
        new UriBuilder(uri) { Query = "resume=" + seq.ToString(CultureInfo.InvariantCulture) + (epoch is null ? "" : "&epoch=" + epoch) }.Uri;

    /// <summary>Reads the resume header, asserts its exact bytes but the epoch, and returns the epoch.</summary>
    public static async Task<string> ReceiveHeaderAsync(this TestClient client, ulong userId, ulong first, ulong last, bool gap)
    {
        var text = await client.ReceiveTextAsync();
        using var document = JsonDocument.Parse(text);
        var epoch = document.RootElement.GetProperty("epoch").GetString()!;
        Assert.Equal(Header(userId, epoch, first, last, gap), text);
        return epoch;
    }

    /// <summary>The exact resume header of protocol section 9.2.</summary>
    public static string Header(ulong userId, string epoch, ulong first, ulong last, bool gap) =>
        $$"""{"type":2,"sender":0,"receiver":{{userId}},"content":"resume","epoch":"{{epoch}}","first":{{first}},"last":{{last}},"gap":{{(gap ? "true" : "false")}}}""";

    /// <summary>The exact <c>stored</c> answer.</summary>
    public static string Stored(ulong receiver) => $$"""{"type":2,"sender":0,"receiver":{{receiver}},"content":"stored"}""";

    /// <summary>Asserts <paramref name="received"/> is <paramref name="sent"/> stamped with its sender and with <c>"seq":<paramref name="seq"/></c> first.</summary>
    public static void AssertStored(string sent, string received, ulong senderId, ulong seq)
    {
        var prefix = "{\"seq\":" + seq.ToString(CultureInfo.InvariantCulture) + ",";
        Assert.StartsWith(prefix, received);
        Wire.AssertStamped(sent, "{" + received[prefix.Length..], senderId);
    }

    /// <summary>
    /// Sends a SEND from <paramref name="senderId"/> to <paramref name="receiverId"/>, who has an opted-in
    /// <paramref name="reader"/> (its inbox empty) and a version 1 session <paramref name="plain"/>: the sender reads
    /// <c>success send</c>, the reader gets the message as seq 1, the version 1 session the same bytes without a seq.
    /// </summary>
    public static async Task AssertSendReachesReaderAndPlainSessionAsync(TestClient sender, ulong senderId, TestClient reader, TestClient plain, ulong receiverId)
    {
        var message = Wire.Send(receiverId, "both");
        await sender.SendTextAsync(message);
        Assert.Equal(Wire.SuccessSend(receiverId), await sender.ReceiveTextAsync());
        AssertStored(message, await reader.ReceiveTextAsync(), senderId, 1);
        var v1 = await plain.ReceiveTextAsync();
        Wire.AssertStamped(message, v1, senderId);
        Assert.DoesNotContain("\"seq\"", v1);
    }

    /// <summary>What the user's inbox holds and how many readers it has, asked of the server's own hub.</summary>
    public static async Task<InboxStatus> InboxOfAsync(this RelayServer server, ulong userId)
    {
        var hub = await server.App.Services.GetRequiredService<IRequiredActor<HubActorBase>>().GetAsync();
        return await hub.Ask<InboxStatus>(new GetUserInbox(userId), TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits until the user's inbox has no reader (a closed session's reader is detached once its actor stopped).</summary>
    public static async Task AwaitNoReaderAsync(this RelayServer server, ulong userId)
    {
        var watch = Stopwatch.StartNew();
        while ((await server.InboxOfAsync(userId)).Readers > 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"user {userId}'s inbox still had a reader after {watch.Elapsed}");
            await Task.Delay(Probe.PollInterval);
        }
    }
}
