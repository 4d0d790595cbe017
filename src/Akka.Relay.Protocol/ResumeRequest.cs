using System.Globalization;

namespace Akka.Relay.Protocol;

/// <summary>
/// The resume request of <c>GET /ws/{id}?resume=&lt;seq&gt;[&amp;epoch=&lt;epoch&gt;]</c> (protocol 1.1, section 9.2):
/// whether the session opts in to the inbox, from which <see cref="Seq"/> and <see cref="Epoch"/>, or why the query is refused.
/// </summary>
public readonly record struct ResumeRequest(bool OptsIn, ulong Seq, string? Epoch, string? Error)
{
    /// <summary>The longest epoch a client may send (and the server ever creates).</summary>
    public const int MaxEpochLength = 32;

    /// <summary>No <c>resume</c> parameter: a version 1 session.</summary>
    public static readonly ResumeRequest None = new(false, 0, null, null);

    /// <summary>False when the query must be refused with 400 and <see cref="Error"/> as the body's reason.</summary>
    public bool IsValid => Error is null;

    /// <summary>
    /// Parses the query's <c>resume</c> and <c>epoch</c> values (null when the parameter is absent). <c>seq</c> is an
    /// unsigned 64-bit decimal (digits only); <c>epoch</c>, when given, is 1 to 32 characters and needs <c>resume</c>.
    /// </summary>
    public static ResumeRequest Parse(string? resume, string? epoch)
    {
        if (resume is null)
        {
            return epoch is null ? None : Refuse("epoch needs a resume parameter");
        }

        if (resume.Length == 0)
        {
            return Refuse("resume must be a sequence number");
        }

        foreach (var c in resume)
        {
            // Digits only: no sign, no spaces, no hex, no exponent (as for user ids).
            if (c is < '0' or > '9')
            {
                return Refuse("resume must be decimal digits only");
            }
        }

        if (!ulong.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return Refuse("resume must not exceed 18446744073709551615");
        }

        if (epoch is not null && (epoch.Length == 0 || epoch.Length > MaxEpochLength))
        {
            return Refuse("epoch must be 1 to 32 characters");
        }

        return new ResumeRequest(true, seq, epoch, null);
    }

    private static ResumeRequest Refuse(string error) => new(false, 0, null, error);
}
