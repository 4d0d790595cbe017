using Akka.Relay.Bench.Wire;

namespace Akka.Relay.Bench.Scenarios;

/// <summary>
/// Checks what one session that opted in (<c>?resume=</c>) receives against protocol 1.1 section
/// 9.2: the <c>resume</c> header first, with the expected first and last seq, then every delivered
/// message with <c>seq</c> = first, first + 1, ... (replay and live alike), nothing missing, repeated
/// or out of order. A session that did not opt in must receive no header and no <c>seq</c>.
/// Used from one receive loop; the counters are read by others with <see cref="Volatile"/>.
/// </summary>
public sealed class InboxSequence
{
    private readonly bool _optedIn;
    private readonly long _expectedFirst;
    private readonly long _expectedLast;
    private long _next;
    private long _violations;
    private long _headerProblems;

    /// <summary>
    /// A check for a session that opted in (<paramref name="optedIn"/>) and expects a header with
    /// <paramref name="expectedFirst"/>..<paramref name="expectedLast"/> (a fresh user: 1..0), or for a version 1 session.
    /// </summary>
    public InboxSequence(bool optedIn, long expectedFirst = 1, long expectedLast = 0)
    {
        _optedIn = optedIn;
        _expectedFirst = expectedFirst;
        _expectedLast = expectedLast;
    }

    /// <summary>The header, once received.</summary>
    public ResumeHeader? Header { get; private set; }

    /// <summary>
    /// Delivered messages whose <c>seq</c> was missing, not a positive integer, or not the previous
    /// one + 1 (first: the header's first); on a version 1 session, every message that carried a <c>seq</c>.
    /// </summary>
    public long Violations => Volatile.Read(ref _violations);

    /// <summary>
    /// Header problems: none before the first message, a second one, one on a version 1 session,
    /// or first/last/gap other than expected (<c>gap</c> must be false).
    /// </summary>
    public long HeaderProblems => Volatile.Read(ref _headerProblems);

    /// <summary>The last <c>seq</c> accepted in order (0 before any).</summary>
    public long LastSeq => Math.Max(0, Volatile.Read(ref _next) - 1);

    /// <summary>Takes a <c>resume</c> header.</summary>
    public void OnHeader(ResumeHeader header)
    {
        if (!_optedIn || Header is not null)
        {
            Volatile.Write(ref _headerProblems, _headerProblems + 1);
            return;
        }

        Header = header;
        if (header.First != _expectedFirst || header.Last != _expectedLast || header.Gap != false || string.IsNullOrEmpty(header.Epoch))
        {
            Volatile.Write(ref _headerProblems, _headerProblems + 1);
        }

        Volatile.Write(ref _next, header.First > 0 ? header.First : _expectedFirst);
    }

    /// <summary>Checks one delivered message's <c>seq</c> (0: absent); true when it is the expected one.</summary>
    public bool OnDelivered(long seq)
    {
        if (!_optedIn)
        {
            if (seq == 0)
            {
                return true;
            }

            Volatile.Write(ref _violations, _violations + 1);
            return false;
        }

        if (Header is null)
        {
            // A message before the header: the session can no longer tell replay from live.
            Volatile.Write(ref _headerProblems, _headerProblems + 1);
            Header = new ResumeHeader(null, -1, -1, null);
            Volatile.Write(ref _next, _expectedFirst);
        }

        if (seq > 0 && seq == _next)
        {
            Volatile.Write(ref _next, seq + 1);
            return true;
        }

        Volatile.Write(ref _violations, _violations + 1);
        if (seq > _next)
        {
            // Resynchronise after a hole, so one lost message counts once, not for every later one.
            Volatile.Write(ref _next, seq + 1);
        }

        return false;
    }
}
