using System.Net.WebSockets;
using System.Text;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests;

/// <summary>docs/protocol.md §2: text frames, reassembly, the 512-byte limit, binary and invalid UTF-8.</summary>
public sealed class FrameTests : IClassFixture<ServerFixture>
{
    private const int Limit = 512;
    private readonly RelayServer _server;

    public FrameTests(ServerFixture fixture)
    {
        _server = fixture.Server;
    }

    /// <summary>A SEND to <paramref name="receiver"/> of exactly <paramref name="bytes"/> UTF-8 bytes, padded with <paramref name="pad"/>.</summary>
    private static byte[] SendOfSize(ulong receiver, int bytes, string pad = "a")
    {
        var head = "{\"type\":1,\"receiver\":" + receiver + ",\"content\":\"";
        const string tail = "\"}";
        // As many whole pad characters as fit, then single-byte 'a's up to the exact size.
        var room = bytes - Encoding.UTF8.GetByteCount(head + tail);
        var padBytes = Encoding.UTF8.GetByteCount(pad);
        var content = new StringBuilder(room);
        content.Insert(0, pad, room / padBytes);
        content.Append('a', room % padBytes);

        var message = Encoding.UTF8.GetBytes(head + content + tail);
        Assert.Equal(bytes, message.Length);
        return message;
    }

    private static List<byte[]> Split(byte[] message, params int[] cuts)
    {
        var fragments = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts.Append(message.Length))
        {
            fragments.Add(message[start..cut]);
            start = cut;
        }

        return fragments;
    }

    /// <summary>A pair unrelated to the violation, which must keep working.</summary>
    private async Task AssertBystandersStillWorkAsync()
    {
        var (a, b) = (Ids.Next(), Ids.Next());
        await using var alice = await _server.ConnectAsync(a);
        await using var bob = await _server.ConnectAsync(b);
        await Probe.RoundTripAsync(alice, a, bob, b);
        await Probe.RoundTripAsync(bob, b, alice, a);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("é")] // two bytes per character: the limit is in bytes
    [InlineData("👋")] // four bytes per character
    public async Task Message_of_exactly_the_limit_is_accepted(string pad)
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var message = SendOfSize(r, Limit, pad);
        await sender.SendBytesAsync(message);

        Wire.AssertStamped(Encoding.UTF8.GetString(message), await receiver.ReceiveTextAsync(), s);
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(Limit + 1, "a")]
    [InlineData(Limit + 1, "é")] // fewer than 512 characters, more than 512 bytes
    [InlineData(4096, "a")]
    [InlineData(1_000_000, "a")]
    public async Task Message_over_the_limit_closes_with_1009(int size, string pad)
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        await sender.SendBytesAsync(SendOfSize(r, size, pad));

        var end = await sender.ReceiveAsync();
        Assert.True(end.IsEnd, $"expected the close, got {end}");
        Assert.False(end.Aborted, $"expected a close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, end.CloseStatus);

        // The oversized message was not delivered, and the violating session is gone.
        await using var prober = await _server.ConnectAsync(Ids.Next());
        await Probe.UntilOfflineAsync(prober, s, TimeSpan.FromSeconds(10));
        var proberId = Ids.Next();
        await using var prober2 = await _server.ConnectAsync(proberId);
        await Probe.RoundTripAsync(prober2, proberId, receiver, r, "the first thing you get");
        await AssertBystandersStillWorkAsync();
    }

    [Theory]
    [InlineData(new[] { 171, 342 })]
    [InlineData(new[] { 1, 2, 3, 500 })]
    [InlineData(new[] { 512 })] // the limit is crossed by the one byte of the last fragment
    public async Task Fragmented_message_over_the_limit_closes_with_1009(int[] cuts)
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        await sender.SendFragmentsAsync(Split(SendOfSize(r, Limit + 1), cuts));

        var end = await sender.ReceiveAsync();
        Assert.True(end.IsEnd, $"expected the close, got {end}");
        Assert.False(end.Aborted, $"expected a close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, end.CloseStatus);

        var proberId = Ids.Next();
        await using var prober = await _server.ConnectAsync(proberId);
        await Probe.RoundTripAsync(prober, proberId, receiver, r, "the first thing you get");
        await AssertBystandersStillWorkAsync();
    }

    [Fact]
    public async Task Fragmented_message_under_the_limit_is_reassembled_and_delivered()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var text = $$"""{"type":1,"receiver":{{r}},"content":"héllo 👋 中文 in pieces","id":"frag-1"}""";
        var bytes = Encoding.UTF8.GetBytes(text);
        // Cut inside the key, inside "é" (2 bytes), inside "👋" (4 bytes) and inside "中" (3 bytes).
        var eAt = text.IndexOf('é', StringComparison.Ordinal);
        var waveAt = Encoding.UTF8.GetByteCount(text[..text.IndexOf("👋", StringComparison.Ordinal)]);
        var zhongAt = Encoding.UTF8.GetByteCount(text[..text.IndexOf('中', StringComparison.Ordinal)]);
        var cuts = new[] { 3, Encoding.UTF8.GetByteCount(text[..eAt]) + 1, waveAt + 2, zhongAt + 1, bytes.Length - 1 };
        await sender.SendFragmentsAsync(Split(bytes, cuts));

        Wire.AssertStamped(text, await receiver.ReceiveTextAsync(), s);
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Fact]
    public async Task Fragmented_message_of_exactly_the_limit_is_accepted()
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var message = SendOfSize(r, Limit);
        await sender.SendFragmentsAsync(Split(message, 100, 200, 511));

        Wire.AssertStamped(Encoding.UTF8.GetString(message), await receiver.ReceiveTextAsync(), s);
        Assert.Equal(Wire.SuccessSend(r), await sender.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Binary_frame_closes_with_1003(bool validJson)
    {
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        var payload = validJson ? Encoding.UTF8.GetBytes(Wire.Send(r, "as binary")) : [0, 1, 2, 255];
        await sender.SendBytesAsync(payload, WebSocketMessageType.Binary);

        var end = await sender.ReceiveAsync();
        Assert.True(end.IsEnd, $"expected the close, got {end}");
        Assert.False(end.Aborted, $"expected a close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, end.CloseStatus);

        var proberId = Ids.Next();
        await using var prober = await _server.ConnectAsync(proberId);
        await Probe.UntilOfflineAsync(prober, s, TimeSpan.FromSeconds(10));
        await Probe.RoundTripAsync(prober, proberId, receiver, r, "the first thing you get");
        await AssertBystandersStillWorkAsync();
    }

    public static TheoryData<string, byte[]> InvalidUtf8 => new()
    {
        { "C3 28 (bad continuation)", [0xC3, 0x28] },
        { "FF (never valid)", [0xFF] },
        { "C0 AF (overlong '/')", [0xC0, 0xAF] },
        { "ED A0 80 (UTF-16 surrogate)", [0xED, 0xA0, 0x80] },
        { "E2 82 at the end (truncated)", [0xE2, 0x82] },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Invalid_utf8_in_a_text_frame_closes_with_1007(string name, byte[] bad)
    {
        Assert.NotEmpty(name);
        var (s, r) = (Ids.Next(), Ids.Next());
        await using var sender = await _server.ConnectAsync(s);
        await using var receiver = await _server.ConnectAsync(r);

        // The bad bytes sit inside the content string of an otherwise valid SEND (at its very end when truncated).
        var truncated = name.Contains("truncated", StringComparison.Ordinal);
        var head = Encoding.UTF8.GetBytes($$"""{"type":1,"receiver":{{r}},"content":"x""");
        var tail = truncated ? [] : Encoding.UTF8.GetBytes("\"}");
        await sender.SendBytesAsync([.. head, .. bad, .. tail]);

        var end = await sender.ReceiveAsync();
        Assert.True(end.IsEnd, $"expected the close, got {end}");
        Assert.False(end.Aborted, $"expected a close frame, got {end}");
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, end.CloseStatus);

        var proberId = Ids.Next();
        await using var prober = await _server.ConnectAsync(proberId);
        await Probe.UntilOfflineAsync(prober, s, TimeSpan.FromSeconds(10));
        await Probe.RoundTripAsync(prober, proberId, receiver, r, "the first thing you get");
        await AssertBystandersStillWorkAsync();
    }
}
