using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Akka.Relay.Server.Tests.Infrastructure;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>
/// One fuzz client: sends an input, waits for the outcome the spec names (skipping other clients'
/// broadcasts, which it checks for provenance), records it, and opens a new session (a fresh user id)
/// whenever the last one ended.
/// </summary>
public sealed class FuzzClient
{
    private static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(15);

    private readonly Uri _server;
    private readonly int _index;
    private readonly int _seed;
    private readonly FuzzRegistry _registry;
    private readonly FuzzStats _stats;
    private readonly Random _random;
    private readonly FuzzGenerator _generator;
    private ulong _nextUser;

    /// <summary>Creates fuzz client <paramref name="index"/> of a run seeded with <paramref name="seed"/>.</summary>
    public FuzzClient(Uri server, int index, int seed, FuzzRegistry registry, FuzzStats stats)
    {
        _server = server;
        _index = index;
        _seed = seed;
        _registry = registry;
        _stats = stats;
        // Each client's inputs depend only on the seed and its index, whatever the interleaving.
        _random = new Random(unchecked((seed * 7919) + index));
        _generator = new FuzzGenerator(_random, registry, index);
        _nextUser = 700_000_000UL + ((ulong)index * 10_000_000UL);
    }

    /// <summary>Runs until <paramref name="deadline"/>.</summary>
    public async Task RunAsync(DateTime deadline)
    {
        FuzzConnection? connection = null;
        var step = 0;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (connection is null)
                {
                    connection = await FuzzConnection.OpenAsync(_server, ++_nextUser, _random);
                    _stats.Opened();
                }

                var input = _generator.Next(connection.UserId);
                step++;
                _stats.Sent(input.Kind, input.Frames.Count);
                try
                {
                    await connection.SendAsync(input);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    // The server may close as soon as it sees the first bad frame; the outcome says whether that was right.
                }

                if (input.AbortAfter)
                {
                    connection.Abort();
                    await connection.DisposeAsync();
                    connection = null;
                    _stats.Saw("(client dropped the connection)");
                    continue;
                }

                var (ok, seen, ended) = await CheckAsync(connection, input.Expected);
                _stats.Saw(seen);
                if (!ok)
                {
                    _stats.Mismatch($"seed {_seed}, client {_index}, step {step}, user {connection.UserId}: {input.Describe()}{Environment.NewLine}    expected {Describe(input.Expected)}, got {seen}");
                }

                if (ended || !ok)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static string Describe(Expectation expected) => expected switch
    {
        Expectation.Echo e => $"echo of {e.Sent}{(e.Acked ? " then its ack" : "")}{(e.PongFirst is null ? "" : " after a pong")}",
        Expectation.Reply r => r.Exact,
        Expectation.Close c => "close " + string.Join(" or ", c.Codes),
        Expectation.Pong p => $"pong of {p.Payload.Length} bytes",
        _ => expected.GetType().Name,
    };

    private static string OutcomeOf(string systemMessage)
    {
        using var document = JsonDocument.Parse(systemMessage);
        var content = document.RootElement.GetProperty("content").GetString() ?? "?";
        // "unknown type 12345": one line in the report for all of them.
        return content.StartsWith("error: unknown type ", StringComparison.Ordinal) ? "error: unknown type N" :
            content.StartsWith("error: ", StringComparison.Ordinal) ? content : "ack: " + content;
    }

    private async Task<(bool Ok, string Seen, bool Ended)> CheckAsync(FuzzConnection connection, Expectation expected)
    {
        var me = connection.UserId;
        switch (expected)
        {
            case Expectation.Echo echo:
            {
                if (echo.PongFirst is { } ping)
                {
                    var pong = await NextAsync(connection);
                    if (pong is not FuzzEvent.Pong p || !p.Payload.AsSpan().SequenceEqual(ping))
                    {
                        return (false, Show(pong), IsEnd(pong));
                    }
                }

                var copy = await NextAsync(connection);
                if (copy is not FuzzEvent.Text text || !IsStampedCopy(echo.Sent, text.Value, me))
                {
                    return (false, Show(copy), IsEnd(copy));
                }

                if (echo.Acked)
                {
                    var ack = await NextAsync(connection);
                    if (ack is not FuzzEvent.Text a || a.Value != Wire.SuccessSend(me))
                    {
                        return (false, Show(ack), IsEnd(ack));
                    }

                    return (true, echo.PongFirst is null ? "delivered to self + ack: success send" : "pong, then delivered to self + ack: success send", false);
                }

                return (true, "broadcast delivered (own copy)", false);
            }

            case Expectation.Reply reply:
            {
                var next = await NextAsync(connection);
                return next is FuzzEvent.Text t && t.Value == reply.Exact ? (true, OutcomeOf(t.Value), false) : (false, Show(next), IsEnd(next));
            }

            case Expectation.AnyError:
            {
                var next = await NextAsync(connection);
                if (next is FuzzEvent.Text t)
                {
                    try
                    {
                        Wire.AssertErrorReply(t.Value, me);
                        return (true, OutcomeOf(t.Value), false);
                    }
                    catch (Exception e) when (e is Xunit.Sdk.XunitException or JsonException)
                    {
                        return (false, Show(next), false);
                    }
                }

                return (false, Show(next), IsEnd(next));
            }

            case Expectation.Close close:
            {
                var next = await NextAsync(connection);
                if (next is FuzzEvent.Closed c && c.Code is { } code && close.Codes.Contains(code))
                {
                    await connection.AnswerCloseAsync(code);
                    return (true, $"close {code} ({c.Reason})", true);
                }

                return (false, Show(next), true);
            }

            case Expectation.Pong pong:
            {
                var next = await NextAsync(connection);
                return next is FuzzEvent.Pong p && p.Payload.AsSpan().SequenceEqual(pong.Payload) ? (true, "pong", false) : (false, Show(next), IsEnd(next));
            }

            default:
                return (true, "nothing (session stays)", false);
        }
    }

    /// <summary>The next event that is about this client, checking and skipping other clients' broadcasts.</summary>
    private async Task<FuzzEvent?> NextAsync(FuzzConnection connection)
    {
        while (true)
        {
            var next = await connection.NextAsync(OutcomeTimeout);
            if (next is FuzzEvent.Text text && IsOthersMessage(text.Value, connection.UserId))
            {
                _registry.CheckRelayed(text.Value, connection.UserId);
                _stats.Saw("(another client's broadcast, checked)");
                continue;
            }

            return next;
        }
    }

    private static bool IsOthersMessage(string text, ulong me)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("sender", out var sender)
                && sender.TryGetUInt64(out var id)
                && id != 0
                && id != me;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsStampedCopy(string sent, string received, ulong me)
    {
        try
        {
            Wire.AssertStamped(sent, received, me);
            return true;
        }
        catch (Exception e) when (e is Xunit.Sdk.XunitException or JsonException)
        {
            return false;
        }
    }

    private static bool IsEnd(FuzzEvent? e) => e is null or FuzzEvent.End or FuzzEvent.Closed;

    private static string Show(FuzzEvent? e) => e switch
    {
        null => $"nothing within {OutcomeTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
        FuzzEvent.Text t => "message " + t.Value,
        FuzzEvent.Pong p => $"pong of {p.Payload.Length} bytes",
        FuzzEvent.Closed c => $"close {c.Code} ({c.Reason})",
        FuzzEvent.Other o => $"frame with opcode {o.Opcode}",
        _ => "end of the connection without a close frame",
    };
}
