using System.Diagnostics;
using System.Net.Sockets;
using System.Net;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Processes;
using Akka.Relay.Testing.Server;
using Xunit.Abstractions;

namespace Akka.Relay.Server.Tests.Inbox;

/// <summary>The inbox across a killed server process (SIGKILL) restarted on the same SQLite file.</summary>
public sealed class InboxRestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-inbox-restart-").FullName;
    private readonly ITestOutputHelper _output;

    public InboxRestartTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Every_message_answered_stored_or_success_survives_a_kill_9_and_no_seq_is_reused()
    {
        await using var server = StartProcess();
        await AwaitListeningAsync(server);
        var (a, b) = (Ids.Next() + 1_000_000, Ids.Next() + 1_000_000);

        var epoch = await OptInAsync(server, b);
        var answered = new List<string>();
        await using (var sender = await TestClient.ConnectAsync(server.WebSocketUri(a), autoRead: true))
        {
            answered.AddRange(await SendAllAsync(sender, b, "before", 20));
        }

        await server.KillAsync();
        server.Start();
        await AwaitListeningAsync(server);

        // After the restart the store's list says b has an inbox: SENDs to it are stored, numbered after the old ones.
        await using (var sender = await TestClient.ConnectAsync(server.WebSocketUri(a), autoRead: true))
        {
            answered.AddRange(await SendAllAsync(sender, b, "after", 5));
        }

        await using var resumed = await TestClient.ConnectAsync(InboxServer.ResumeUri(server.WebSocketUri(b), 0, epoch), autoRead: true);
        Assert.Equal(epoch, await resumed.ReceiveHeaderAsync(b, 1, (ulong)answered.Count, false));
        for (var i = 0; i < answered.Count; i++)
        {
            InboxServer.AssertStored(answered[i], await resumed.ReceiveTextAsync(), a, (ulong)i + 1);
        }
    }

    [Fact]
    public async Task Replay_of_1000_stored_messages_after_a_restart_is_measured()
    {
        await using var server = StartProcess();
        await AwaitListeningAsync(server);
        var (a, b) = (Ids.Next() + 2_000_000, Ids.Next() + 2_000_000);
        var epoch = await OptInAsync(server, b);
        await using (var sender = await TestClient.ConnectAsync(server.WebSocketUri(a), autoRead: true))
        {
            await SendAllAsync(sender, b, "m", 1000);
        }

        await server.KillAsync();
        var restart = Stopwatch.StartNew();
        server.Start();
        await AwaitListeningAsync(server);
        var listening = restart.Elapsed;

        // The store's list still names b after the compaction a full inbox went through (a snapshot, the journal before it deleted).
        // Its inbox actor is not running: this SEND's answer waits for the recovery of the 1000 messages from the store.
        TimeSpan recovery;
        await using (var sender = await TestClient.ConnectAsync(server.WebSocketUri(a), autoRead: true))
        {
            var first = Stopwatch.StartNew();
            await SendAllAsync(sender, b, "after", 1);
            recovery = first.Elapsed;
        }

        // MaxMessages (1000) keeps 2..1001, so a resume from 0 starts at 2 with a gap.
        var watch = Stopwatch.StartNew();
        await using var resumed = await TestClient.ConnectAsync(InboxServer.ResumeUri(server.WebSocketUri(b), 0, epoch), autoRead: true);
        await resumed.ReceiveHeaderAsync(b, 2, 1001, true);
        var header = watch.Elapsed;
        for (var seq = 2UL; seq <= 1001; seq++)
        {
            Assert.Equal(seq, (await resumed.ReceiveJsonAsync()).GetProperty("seq").GetUInt64());
        }

        var cold = watch.Elapsed;
        await resumed.CloseAsync();

        // Warm: the inbox is running; a second device resumes from 0.
        watch.Restart();
        await using var warm = await TestClient.ConnectAsync(InboxServer.ResumeUri(server.WebSocketUri(b), 0, epoch), autoRead: true);
        await warm.ReceiveHeaderAsync(b, 2, 1001, true);
        for (var seq = 2UL; seq <= 1001; seq++)
        {
            Assert.Equal(seq, (await warm.ReceiveJsonAsync()).GetProperty("seq").GetUInt64());
        }

        _output.WriteLine($"restart to listening {listening.TotalMilliseconds:F0} ms; first SEND after the restart (recovery of 1000 included) answered in {recovery.TotalMilliseconds:F0} ms; first resume after the restart: header {header.TotalMilliseconds:F0} ms, 1000 replayed {cold.TotalMilliseconds:F0} ms; second resume: 1000 replayed {watch.Elapsed.TotalMilliseconds:F0} ms");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The killed process's file may linger a moment; the temp folder is cleaned later.
        }
    }

    private ServerProcess StartProcess()
    {
        var server = ServerProcess.Create(("Relay__Inbox__ConnectionString", "Data Source=" + Path.Combine(_directory, "inbox.db")));
        server.Start();
        return server;
    }

    private static async Task<string> OptInAsync(ServerProcess server, ulong user)
    {
        await using var first = await TestClient.ConnectAsync(InboxServer.ResumeUri(server.WebSocketUri(user), 0, null), autoRead: true);
        var epoch = await first.ReceiveHeaderAsync(user, 1, 0, false);
        await first.CloseAsync();
        return epoch;
    }

    /// <summary>Sends <paramref name="count"/> SENDs and returns those answered stored or success send (every one must be).</summary>
    private static async Task<List<string>> SendAllAsync(TestClient sender, ulong receiver, string prefix, int count)
    {
        var sent = Enumerable.Range(1, count).Select(i => Wire.Send(receiver, prefix + i)).ToList();
        foreach (var message in sent)
        {
            await sender.SendTextAsync(message);
        }

        foreach (var _ in sent)
        {
            var answer = await sender.ReceiveTextAsync(TimeSpan.FromSeconds(30));
            Assert.True(answer == InboxServer.Stored(receiver) || answer == Wire.SuccessSend(receiver), answer);
        }

        return sent;
    }

    private static async Task AwaitListeningAsync(ServerProcess server)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(server.IsRunning, "the server exited at start:\n" + server.Log);
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, server.HttpPort);
                return;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(Probe.PollInterval);
            }
        }
    }
}
