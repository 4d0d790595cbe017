using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Server.Options;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.Lifecycle;

/// <summary>
/// On shutdown, before Kestrel and the actor system stop: closes every session with 1001
/// after its in-flight messages are written, and waits (up to the drain timeout) until all
/// have ended. Handshakes arriving meanwhile are refused with 503 by the endpoint.
/// </summary>
public sealed class SessionDrainService : IHostedLifecycleService
{
    private readonly IRequiredActor<HubActorBase> _hub;
    private readonly DrainState _drain;
    private readonly IOptions<RelayOptions> _options;
    private readonly ILogger<SessionDrainService> _logger;

    /// <summary>Creates the service.</summary>
    public SessionDrainService(IRequiredActor<HubActorBase> hub, DrainState drain, IOptions<RelayOptions> options, ILogger<SessionDrainService> logger)
    {
        _hub = hub;
        _drain = drain;
        _options = options;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _drain.Begin();
        var timeout = _options.Value.DrainTimeout;
        try
        {
            var hub = await _hub.GetAsync(cancellationToken);
            await hub.Ask<SessionsDrained>(DrainSessions.Instance, timeout, cancellationToken);
            _logger.LogInformation("All sessions closed");
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or OperationCanceledException)
        {
            _logger.LogWarning("Sessions still open after the drain timeout of {DrainTimeout}; stopping anyway", timeout);
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
