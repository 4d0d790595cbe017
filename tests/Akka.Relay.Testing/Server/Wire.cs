using System.Globalization;
using System.Text.Json;

namespace Akka.Relay.Testing.Server;

/// <summary>The wire messages of docs/protocol.md, spelled out, and assertions on what clients receive.</summary>
public static class Wire
{
    /// <summary>The exact ack for a SEND that reached <paramref name="receiver"/>.</summary>
    public static string SuccessSend(ulong receiver) =>
        $$"""{"type":2,"sender":0,"receiver":{{receiver.ToString(CultureInfo.InvariantCulture)}},"content":"success send"}""";

    /// <summary>The exact ack for a SEND to a <paramref name="receiver"/> without sessions.</summary>
    public static string NotOnline(ulong receiver) =>
        $$"""{"type":2,"sender":0,"receiver":{{receiver.ToString(CultureInfo.InvariantCulture)}},"content":"not online"}""";

    /// <summary>A SEND as a client would write it (no sender).</summary>
    public static string Send(ulong receiver, string content) =>
        JsonSerializer.Serialize(new { type = 1, receiver, content });

    /// <summary>
    /// Asserts that <paramref name="received"/> is <paramref name="sent"/> with <c>sender</c> set to
    /// <paramref name="senderId"/>: exactly one top-level sender with that value, and every other member
    /// present in the same order with the same name and byte-for-byte the same raw value.
    /// </summary>
    public static void AssertStamped(string sent, string received, ulong senderId)
    {
        using var sentDocument = JsonDocument.Parse(sent);
        using var receivedDocument = JsonDocument.Parse(received);
        Assert.Equal(JsonValueKind.Object, receivedDocument.RootElement.ValueKind);

        var senders = receivedDocument.RootElement.EnumerateObject().Where(p => p.NameEquals("sender")).ToList();
        var sender = Assert.Single(senders);
        Assert.Equal(senderId.ToString(CultureInfo.InvariantCulture), sender.Value.GetRawText());

        static List<(string Name, string Raw)> Others(JsonDocument document) =>
            document.RootElement.EnumerateObject()
                .Where(p => !p.NameEquals("sender"))
                .Select(p => (p.Name, p.Value.GetRawText()))
                .ToList();

        Assert.Equal(Others(sentDocument), Others(receivedDocument));
    }

    /// <summary>Asserts an error reply to a message of <paramref name="ownId"/>; returns the reason.</summary>
    public static string AssertErrorReply(string text, ulong ownId)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        var names = root.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(["content", "receiver", "sender", "type"], names);
        Assert.Equal("2", root.GetProperty("type").GetRawText());
        Assert.Equal("0", root.GetProperty("sender").GetRawText());
        Assert.Equal(ownId.ToString(CultureInfo.InvariantCulture), root.GetProperty("receiver").GetRawText());
        var content = root.GetProperty("content").GetString();
        Assert.NotNull(content);
        Assert.StartsWith("error: ", content, StringComparison.Ordinal);
        Assert.True(content.Length > "error: ".Length, $"an error reply without a reason: {text}");
        return content["error: ".Length..];
    }
}
