using Akka.Actor;
using Akka.Event;

namespace Akka.Relay.Cluster.Directory;

/// <summary>
/// One warning per interval for all of this node's directory entities that started without every hub's report: a node
/// that crashes or rejoins makes many entities restart at once, and one line each would bury the event itself.
/// </summary>
public sealed class RebuildWarningLog : ReceiveActor, IWithTimers
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "directory-rebuild-log";

    private const string FlushTimerKey = "flush";
    private readonly TimeSpan _interval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _entities;
    private int _missingReports;
    private RebuildIncomplete? _first;

    /// <summary>Creates the log, which writes at most once per <paramref name="interval"/>.</summary>
    public RebuildWarningLog(TimeSpan interval)
    {
        _interval = interval;
        Receive<RebuildIncomplete>(OnIncomplete);
        Receive<Flush>(_ => OnFlush());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the log.</summary>
    public static Props GetProps(TimeSpan interval) => Akka.Actor.Props.Create(() => new RebuildWarningLog(interval));

    /// <inheritdoc />
    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(RebuildIncomplete));

    /// <inheritdoc />
    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        OnFlush();
    }

    private void OnIncomplete(RebuildIncomplete incomplete)
    {
        _first ??= incomplete;
        _entities++;
        _missingReports += incomplete.MissingReports;
        if (!Timers.IsTimerActive(FlushTimerKey))
        {
            Timers.StartSingleTimer(FlushTimerKey, Flush.Instance, _interval);
        }
    }

    private void OnFlush()
    {
        if (_first is null)
        {
            return;
        }

        _log.Warning(
            "{0} user directory entities started without {1} hub reports within {2} (first: user {3}); they serve with the sessions the other hubs reported",
            _entities, _missingReports, _first.RebuildTimeout, _first.UserId);
        _entities = 0;
        _missingReports = 0;
        _first = null;
    }

    /// <summary>Time to write what was gathered.</summary>
    private sealed record Flush
    {
        public static readonly Flush Instance = new();
    }
}
