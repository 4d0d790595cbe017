using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>
/// Who really sent what: every relayable fuzz message carries a nonce registered here with its sender,
/// and every probe message comes from a probe. A received message whose stamped sender is not the one
/// that sent it (or that speaks as the system without being the server's own reply) is a violation.
/// </summary>
public sealed class FuzzRegistry
{
    private readonly ConcurrentDictionary<string, ulong> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();

    /// <summary>Impersonation or provenance failures seen by anyone.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>The probe users (their messages carry "seq" instead of a nonce).</summary>
    public HashSet<ulong> Probes { get; } = [];

    /// <summary>Records that <paramref name="nonce"/> is sent by <paramref name="sender"/>.</summary>
    public void Register(string nonce, ulong sender) => _senders[nonce] = sender;

    /// <summary>
    /// Checks a message that <paramref name="receiverId"/> got and did not expect for itself (a broadcast of
    /// another client): it must be a user's message, stamped with the user that sent it.
    /// </summary>
    public void CheckRelayed(string text, ulong receiverId)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var senders = root.EnumerateObject().Where(p => p.NameEquals("sender")).ToList();
            if (senders.Count != 1 || !senders[0].Value.TryGetUInt64(out var sender))
            {
                Violation(receiverId, text, "not exactly one numeric sender");
                return;
            }

            if (sender == 0)
            {
                Violation(receiverId, text, "a message from sender 0 that is not the server's reply to this client");
                return;
            }

            if (root.TryGetProperty("fz", out var nonce) && nonce.ValueKind == JsonValueKind.String)
            {
                if (!_senders.TryGetValue(nonce.GetString()!, out var real) || real != sender)
                {
                    Violation(receiverId, text, $"stamped {sender}, but sent by {(real == 0 ? "nobody known" : real.ToString(CultureInfo.InvariantCulture))}");
                }

                return;
            }

            if (!Probes.Contains(sender))
            {
                Violation(receiverId, text, "a message nobody in the test sent");
            }
        }
        catch (JsonException)
        {
            Violation(receiverId, text, "not JSON");
        }
    }

    /// <summary>Records a violation.</summary>
    public void Violation(ulong receiverId, string text, string why) =>
        _violations.Enqueue($"user {receiverId} got {text}: {why}");
}
