namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// Where a resuming reader starts (protocol section 9.2): <paramref name="First"/> is the first seq replayed
/// (Last+1 when nothing is), <paramref name="Gap"/> says messages after the client's seq were lost.
/// </summary>
public readonly record struct ResumePoint(ulong First, bool Gap)
{
    /// <summary>
    /// The start for a client that processed up to <paramref name="resumeFrom"/> in <paramref name="clientEpoch"/> (null:
    /// it names none, e.g. a first connect), given the inbox's <paramref name="epoch"/>, its oldest kept seq
    /// <paramref name="oldest"/> (<paramref name="last"/>+1 when it keeps none) and its newest <paramref name="last"/>.
    /// </summary>
    public static ResumePoint Compute(ulong resumeFrom, string? clientEpoch, string epoch, ulong oldest, ulong last)
    {
        if (clientEpoch is not null && !string.Equals(clientEpoch, epoch, StringComparison.Ordinal))
        {
            // The client's epoch is gone (expired, or the store lost it): whatever it had not yet seen there is lost.
            return new ResumePoint(oldest, true);
        }

        // A client that claims more than was ever stored (or ulong.MaxValue) has nothing to replay.
        if (resumeFrom >= last)
        {
            return new ResumePoint(last + 1, false);
        }

        var wanted = resumeFrom + 1;
        return wanted < oldest ? new ResumePoint(oldest, true) : new ResumePoint(wanted, false);
    }
}
