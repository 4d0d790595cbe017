using System.Globalization;
using System.Text;
using Akka.Relay.Protocol;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>
/// Makes fuzz inputs for one client from a seeded <see cref="Random"/>, each with the outcome the spec
/// names for it: an echo of a valid message, an exact error reply, a close code, a Pong.
/// </summary>
/// <remarks>
/// Every message that may be relayed carries <c>"fz":"&lt;nonce&gt;"</c>, registered with its real sender in
/// <see cref="FuzzRegistry"/>, so that whoever receives it can check it came from that user.
/// </remarks>
public sealed class FuzzGenerator
{
    /// <summary>The size limit the fuzz server runs with (the default).</summary>
    public const int Limit = 512;

    /// <summary>User ids no session ever uses: SENDs to them are answered "not online".</summary>
    public const ulong OfflineBase = 9_000_000_000_000UL;

    private const string Printable = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:;!?";
    private static readonly string[] Unicode = ["é", "ß", "中文", "👋", "\\u00e9", "\\n", "\\\"", "\\\\", "Ω", "\\ud83d\\ude00"];
    private static readonly string[] Junk = ["{", "}", "[", "]", ":", ",", "\"", "\\", "null", "true", "1e999", "-", "0x1", "\t", " ", "NaN", "'", "\u0001"];

    private static readonly (string Name, Func<FuzzGenerator, ulong, FuzzInput> Make, int Weight)[] Kinds =
    [
        ("valid-send-to-self", (g, me) => g.ValidSendToSelf(me), 10),
        ("valid-broadcast", (g, me) => g.ValidBroadcast(me), 4),
        ("send-to-offline-user", (g, me) => g.SendToOffline(me), 3),
        ("random-bytes", (g, me) => g.RandomBytes(me), 5),
        ("random-text", (g, me) => g.RandomText(me), 5),
        ("truncated-json", (g, me) => g.TruncatedJson(me), 5),
        ("deep-nesting", (g, me) => g.DeepNesting(me), 4),
        ("huge-or-negative-number", (g, me) => g.HugeOrNegativeNumber(me), 5),
        ("wrong-field-type", (g, me) => g.WrongFieldType(me), 6),
        ("invalid-utf8", (g, me) => g.InvalidUtf8(me), 2),
        ("oversize", (g, me) => g.Oversize(me), 2),
        ("oversize-fragmented", (g, me) => g.OversizeFragmented(me), 1),
        ("fragmented-valid", (g, me) => g.FragmentedValid(me), 4),
        ("binary-frame", (g, me) => g.Binary(me), 2),
        ("ping", (g, me) => g.Ping(me), 3),
        ("unsolicited-pong", (g, me) => g.UnsolicitedPong(me), 2),
        ("malformed-control-frame", (g, me) => g.MalformedControl(me), 3),
        ("protocol-violation", (g, me) => g.ProtocolViolation(me), 3),
        ("length-lie", (g, me) => g.LengthLie(me), 1),
        ("client-close", (g, me) => g.ClientClose(me), 1),
        ("abrupt-disconnect", (g, me) => g.AbruptDisconnect(me), 3),
    ];

    private static readonly int TotalWeight = Kinds.Sum(k => k.Weight);

    private readonly Random _random;
    private readonly FuzzRegistry _registry;
    private readonly string _nonceTag;
    private long _nonces;

    /// <summary>Creates a generator for fuzz client <paramref name="clientIndex"/>.</summary>
    public FuzzGenerator(Random random, FuzzRegistry registry, int clientIndex)
    {
        _random = random;
        _registry = registry;
        _nonceTag = "c" + clientIndex.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The names of every kind, for the report.</summary>
    public static IEnumerable<string> KindNames => Kinds.Select(k => k.Name);

    /// <summary>The next input for the session of user <paramref name="me"/>.</summary>
    public FuzzInput Next(ulong me)
    {
        var pick = _random.Next(TotalWeight);
        foreach (var (_, make, weight) in Kinds)
        {
            if (pick < weight)
            {
                return make(this, me);
            }

            pick -= weight;
        }

        throw new InvalidOperationException("unreachable");
    }

    private static string N(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string ErrorReply(ulong me, string reason) =>
        $$"""{"type":2,"sender":0,"receiver":{{N(me)}},"content":"error: {{reason}}"}""";

    private static FrameSpec Text(string text) => new(Opcode.Text, Encoding.UTF8.GetBytes(text));

    private static FrameSpec Text(byte[] bytes) => new(Opcode.Text, bytes);

    private static FuzzInput One(string kind, string text, Expectation expected) => new(kind, [Text(text)], expected);

    private string Nonce(ulong me)
    {
        var nonce = $"{_nonceTag}-{++_nonces}";
        _registry.Register(nonce, me);
        return nonce;
    }

    private string Content(int maxChars = 40)
    {
        var text = new StringBuilder();
        var length = _random.Next(maxChars);
        while (text.Length < length)
        {
            text.Append(_random.Next(5) == 0 ? Unicode[_random.Next(Unicode.Length)] : Printable[_random.Next(Printable.Length)].ToString());
        }

        return text.ToString();
    }

    private string AsciiContent(int maxChars = 40)
    {
        var text = new StringBuilder();
        var length = _random.Next(maxChars);
        for (var i = 0; i < length; i++)
        {
            text.Append(Printable[_random.Next(Printable.Length)]);
        }

        return text.ToString();
    }

    /// <summary>An extra field the relay must carry through untouched (valid JSON of odd shapes).</summary>
    private string ExtraField()
    {
        return _random.Next(8) switch
        {
            0 => "\"x\":1e400",
            1 => "\"x\":-99999999999999999999999999",
            2 => "\"x\":[" + string.Join(",", Enumerable.Range(0, _random.Next(5)).Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]",
            3 => "\"x\":{\"sender\":0,\"type\":2}",
            4 => "\"x\":null",
            5 => "\"Sender\":0",
            6 => "\"x\":" + new string('[', 10) + new string(']', 10),
            _ => "\"x\":\"" + Content(10) + "\"",
        };
    }

    /// <summary>A SEND to the client itself: the server delivers it back (stamped) and acks it.</summary>
    private FuzzInput ValidSendToSelf(ulong me)
    {
        var text = ValidSendText(me);
        return One("valid-send-to-self", text, new Expectation.Echo(text, Acked: true));
    }

    private string ValidSendText(ulong me)
    {
        var forged = _random.Next(3) switch
        {
            0 => "",
            1 => "\"sender\":0,",
            _ => $"\"sender\":{N((ulong)_random.NextInt64(1, long.MaxValue))},",
        };
        var extra = _random.Next(2) == 0 ? "," + ExtraField() : "";
        return $$"""{{{forged}}"type":1,"receiver":{{N(me)}},"fz":"{{Nonce(me)}}","content":"{{Content()}}"{{extra}}}""";
    }

    private FuzzInput ValidBroadcast(ulong me)
    {
        // CONNECT and CLOSE announcements are relayed like BROADCAST.
        var type = _random.Next(4) switch { 0 => 0, 1 => 4, _ => 3 };
        var forged = _random.Next(2) == 0 ? "\"sender\":0," : "";
        var text = $$"""{{{forged}}"type":{{type}},"fz":"{{Nonce(me)}}","content":"{{Content()}}","{{(_random.Next(2) == 0 ? "n" : "m")}}":{{_random.Next()}}}""";
        return One("valid-broadcast", text, new Expectation.Echo(text, Acked: false));
    }

    private FuzzInput SendToOffline(ulong me)
    {
        var target = _random.Next(3) == 0 ? ulong.MaxValue : OfflineBase + (ulong)_random.Next(1_000_000);
        var text = $$"""{"type":1,"receiver":{{N(target)}},"fz":"{{Nonce(me)}}","content":"{{Content()}}"}""";
        return One("send-to-offline-user", text, new Expectation.Reply(Wire.NotOnline(target)));
    }

    private FuzzInput RandomBytes(ulong me)
    {
        var bytes = new byte[_random.Next(1, 300)];
        _random.NextBytes(bytes);
        // Invalid UTF-8 (nearly always, for random bytes) is closed with 1007; the rare valid run is bad JSON.
        var expected = System.Text.Unicode.Utf8.IsValid(bytes) ? (Expectation)new Expectation.AnyError() : new Expectation.Close(1007);
        return new FuzzInput("random-bytes", [Text(bytes)], expected);
    }

    private FuzzInput RandomText(ulong me)
    {
        var text = new StringBuilder();
        var pieces = _random.Next(1, 40);
        for (var i = 0; i < pieces; i++)
        {
            text.Append(_random.Next(3) == 0 ? Junk[_random.Next(Junk.Length)] : Content(8));
        }

        // Start with something no JSON value starts with, so the reply is always "invalid JSON".
        return One("random-text", "~" + text, new Expectation.Reply(ErrorReply(me, ErrorReasons.InvalidJson)));
    }

    private FuzzInput TruncatedJson(ulong me)
    {
        var full = $$"""{"type":1,"receiver":{{N(me)}},"content":"{{AsciiContent()}}","id":{{_random.Next()}}}""";
        var cut = _random.Next(1, full.Length - 1);
        return One("truncated-json", full[..cut], new Expectation.Reply(ErrorReply(me, ErrorReasons.InvalidJson)));
    }

    private FuzzInput DeepNesting(ulong me)
    {
        switch (_random.Next(4))
        {
            case 0:
            {
                // Within the limit: relayed as sent.
                var depth = _random.Next(1, 25);
                var text = $$"""{"type":3,"fz":"{{Nonce(me)}}","deep":{{new string('[', depth)}}{{new string(']', depth)}}}""";
                return One("deep-nesting", text, new Expectation.Echo(text, Acked: false));
            }

            case 1:
            {
                var depth = _random.Next(40, 200);
                return One("deep-nesting", $$"""{"type":3,"deep":{{new string('[', depth)}}{{new string(']', depth)}}}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.InvalidJson)));
            }

            case 2:
            {
                var depth = _random.Next(40, 70);
                var text = new StringBuilder("{\"type\":1,\"receiver\":" + N(me) + ",\"d\":");
                for (var i = 0; i < depth; i++)
                {
                    text.Append("{\"a\":");
                }

                text.Append('1').Append('}', depth).Append('}');
                return One("deep-nesting", text.ToString(), new Expectation.Reply(ErrorReply(me, ErrorReasons.InvalidJson)));
            }

            default:
                // Opened and never closed.
                return One("deep-nesting", "{\"type\":3,\"deep\":" + new string('[', _random.Next(1, 400)), new Expectation.Reply(ErrorReply(me, ErrorReasons.InvalidJson)));
        }
    }

    private FuzzInput HugeOrNegativeNumber(ulong me)
    {
        string[] huge = ["18446744073709551616", "99999999999999999999999999999", "1e400", "-1", "-18446744073709551615", "1.5", "-0.0", "1E2"];
        var value = huge[_random.Next(huge.Length)];
        return _random.Next(4) switch
        {
            0 => One("huge-or-negative-number", $$"""{"type":{{value}},"receiver":{{N(me)}},"content":"x"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.TypeNotUnsigned))),
            1 => One("huge-or-negative-number", $$"""{"type":1,"receiver":{{value}},"content":"x"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.ReceiverNotUnsigned))),
            2 => One("huge-or-negative-number", $$"""{"type":1,"sender":{{value}},"receiver":{{N(me)}},"content":"x"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.SenderNotUnsigned))),
            _ => UnknownType(me, (ulong)_random.NextInt64(5, long.MaxValue)),
        };
    }

    private static FuzzInput UnknownType(ulong me, ulong type) =>
        One("huge-or-negative-number", $$"""{"type":{{N(type)}},"receiver":{{N(me)}}}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.UnknownType(type))));

    private FuzzInput WrongFieldType(ulong me)
    {
        string[] wrong = ["\"1\"", "true", "false", "null", "[]", "{}", "[1]", "{\"a\":1}", "\"\""];
        var value = wrong[_random.Next(wrong.Length)];
        var r = N(me);
        return _random.Next(10) switch
        {
            0 => One("wrong-field-type", $$"""{"type":{{value}},"receiver":{{r}}}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.TypeNotUnsigned))),
            1 => One("wrong-field-type", $$"""{"type":1,"receiver":{{value}}}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.ReceiverNotUnsigned))),
            2 => One("wrong-field-type", $$"""{"type":1,"sender":{{value}},"receiver":{{r}}}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.SenderNotUnsigned))),
            3 => One("wrong-field-type", $$"""{"type":1,"receiver":{{r}},"content":{{(value == "\"1\"" || value == "\"\"" ? "2" : value)}}}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.ContentNotString))),
            4 => One("wrong-field-type", new[] { "[]", "5", "\"text\"", "null", "true", "[{\"type\":1}]" }[_random.Next(6)], new Expectation.Reply(ErrorReply(me, ErrorReasons.NotAnObject))),
            5 => One("wrong-field-type", $$"""{"receiver":{{r}},"content":"x"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.MissingType))),
            6 => One("wrong-field-type", """{"type":1,"content":"to whom"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.MissingReceiver))),
            7 => One("wrong-field-type", """{"type":1,"receiver":0,"content":"x"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.ReceiverIsServer))),
            8 => One("wrong-field-type", $$"""{"type":2,"sender":0,"receiver":{{r}},"content":"success send"}""", new Expectation.Reply(ErrorReply(me, ErrorReasons.SystemTypeReserved))),
            _ => One("wrong-field-type", $$"""{"type":1,"receiver":{{r}},"s\u0065nder":0,"sender":0}""", new Expectation.Reply(ErrorReply(me, "duplicate field sender"))),
        };
    }

    private FuzzInput InvalidUtf8(ulong me)
    {
        byte[][] bad = [[0xC3, 0x28], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x91], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]];
        var head = Encoding.UTF8.GetBytes($$"""{"type":1,"receiver":{{N(me)}},"content":"ab""");
        var tail = Encoding.UTF8.GetBytes("cd\"}");
        var payload = head.Concat(bad[_random.Next(bad.Length)]).Concat(tail).ToArray();
        return new FuzzInput("invalid-utf8", [Text(payload)], new Expectation.Close(1007));
    }

    private FuzzInput Oversize(ulong me)
    {
        var size = _random.Next(Limit + 1, 4096);
        var text = $$"""{"type":1,"receiver":{{N(me)}},"content":"{{new string('a', size)}}"}""";
        return One("oversize", text, new Expectation.Close(1009));
    }

    private FuzzInput OversizeFragmented(ulong me)
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"type":1,"receiver":{{N(me)}},"content":"{{new string('b', _random.Next(Limit, 2048))}}"}""");
        return new FuzzInput("oversize-fragmented", Fragment(bytes, Opcode.Text), new Expectation.Close(1009));
    }

    private FuzzInput FragmentedValid(ulong me)
    {
        var text = ValidSendText(me);
        var frames = Fragment(Encoding.UTF8.GetBytes(text), Opcode.Text).ToList();
        if (frames.Count > 1 && _random.Next(2) == 0)
        {
            // A Ping between fragments is allowed (RFC 6455 §5.4) and answered at once.
            var ping = Encoding.ASCII.GetBytes("mid-" + _random.Next());
            frames.Insert(1, new FrameSpec(Opcode.Ping, ping));
            return new FuzzInput("fragmented-valid", frames, new Expectation.Echo(text, Acked: true) { PongFirst = ping });
        }

        return new FuzzInput("fragmented-valid", frames, new Expectation.Echo(text, Acked: true));
    }

    private List<FrameSpec> Fragment(byte[] bytes, int opcode)
    {
        var count = Math.Min(bytes.Length, _random.Next(2, 7));
        var cuts = Enumerable.Range(0, count - 1).Select(_ => _random.Next(1, bytes.Length)).Distinct().Order().ToList();
        var frames = new List<FrameSpec>();
        var start = 0;
        foreach (var cut in cuts.Append(bytes.Length))
        {
            frames.Add(new FrameSpec(frames.Count == 0 ? opcode : Opcode.Continuation, bytes[start..cut], Fin: cut == bytes.Length));
            start = cut;
        }

        return frames;
    }

    private FuzzInput Binary(ulong me)
    {
        var bytes = _random.Next(2) == 0 ? Encoding.UTF8.GetBytes(ValidSendText(me)) : RandomArray(1, 100);
        return new FuzzInput("binary-frame", [new FrameSpec(Opcode.Binary, bytes)], new Expectation.Close(1003));
    }

    private FuzzInput Ping(ulong me)
    {
        var payload = RandomArray(0, 126);
        return new FuzzInput("ping", [new FrameSpec(Opcode.Ping, payload)], new Expectation.Pong(payload));
    }

    private FuzzInput UnsolicitedPong(ulong me) =>
        new("unsolicited-pong", [new FrameSpec(Opcode.Pong, RandomArray(0, 126))], new Expectation.Nothing());

    private FuzzInput MalformedControl(ulong me)
    {
        // RFC 6455 §5.5, §7.4: each fails the connection with 1002 (Protocol Error).
        return _random.Next(5) switch
        {
            0 => new("malformed-control-frame", [new FrameSpec(Opcode.Ping, RandomArray(126, 300))], new Expectation.Close(1002)),
            1 => new("malformed-control-frame", [new FrameSpec(Opcode.Ping, RandomArray(0, 10), Fin: false)], new Expectation.Close(1002)),
            2 => new("malformed-control-frame", [new FrameSpec(Opcode.Close, RawWebSocket.ClosePayload(new[] { 0, 999, 1004, 1005, 1006, 1015, 2999, 5000 }[_random.Next(8)]))], new Expectation.Close(1002)),
            3 => new("malformed-control-frame", [new FrameSpec(Opcode.Close, [0x03])], new Expectation.Close(1002)),
            _ => new("malformed-control-frame", [new FrameSpec(Opcode.Pong, RandomArray(126, 200))], new Expectation.Close(1002)),
        };
    }

    private FuzzInput ProtocolViolation(ulong me)
    {
        var valid = Encoding.UTF8.GetBytes($$"""{"type":1,"receiver":{{N(me)}},"content":"x"}""");
        return _random.Next(6) switch
        {
            0 => new("protocol-violation", [new FrameSpec(Opcode.Text, valid, Masked: false)], new Expectation.Close(1002)),
            1 => new("protocol-violation", [new FrameSpec(Opcode.Text, valid, Rsv: _random.Next(1, 8))], new Expectation.Close(1002)),
            2 => new("protocol-violation", [new FrameSpec(new[] { 3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF }[_random.Next(10)], valid)], new Expectation.Close(1002)),
            3 => new("protocol-violation", [new FrameSpec(Opcode.Continuation, valid)], new Expectation.Close(1002)),
            4 => new("protocol-violation", [new FrameSpec(Opcode.Text, valid[..5], Fin: false), new FrameSpec(Opcode.Text, valid[5..])], new Expectation.Close(1002)),
            _ => new("protocol-violation", [new FrameSpec(Opcode.Text, [], DeclaredLength: 0x8000_0000_0000_0000UL | (uint)_random.Next())], new Expectation.Close(1002)),
        };
    }

    private FuzzInput LengthLie(ulong me)
    {
        // A frame that claims far more than the limit and carries a little over it: closed with 1009 as
        // soon as the limit is crossed, without waiting for the rest.
        var payload = RandomArray(Limit + 8, Limit + 64);
        Array.Fill(payload, (byte)'a');
        return new FuzzInput("length-lie", [new FrameSpec(Opcode.Text, payload, DeclaredLength: (ulong)_random.Next(100_000, 10_000_000))], new Expectation.Close(1009));
    }

    private FuzzInput ClientClose(ulong me) =>
        // A well-formed close from the client: the server echoes its code.
        new("client-close", [new FrameSpec(Opcode.Close, RawWebSocket.ClosePayload(1000, "bye"))], new Expectation.Close(1000));

    private FuzzInput AbruptDisconnect(ulong me)
    {
        var valid = Encoding.UTF8.GetBytes(ValidSendText(me));
        return _random.Next(4) switch
        {
            0 => new("abrupt-disconnect", [], new Expectation.Gone(), AbortAfter: true),
            1 => new("abrupt-disconnect", [new FrameSpec(Opcode.Text, valid)], new Expectation.Gone(), AbortAfter: true),
            2 => new("abrupt-disconnect", [new FrameSpec(Opcode.Text, valid[..(valid.Length / 2)], Fin: false)], new Expectation.Gone(), AbortAfter: true),
            // Half a frame header's worth of payload, then gone.
            _ => new("abrupt-disconnect", [new FrameSpec(Opcode.Text, valid[..3], DeclaredLength: (ulong)valid.Length)], new Expectation.Gone(), AbortAfter: true),
        };
    }

    private byte[] RandomArray(int min, int max)
    {
        var bytes = new byte[_random.Next(min, max)];
        _random.NextBytes(bytes);
        return bytes;
    }
}
