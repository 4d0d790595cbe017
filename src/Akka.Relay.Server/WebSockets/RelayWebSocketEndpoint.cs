using System.Net.WebSockets;
using Akka.Actor;
using Akka.Hosting;
using Akka.Relay.Actors.Client;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Actors.Telemetry;
using Akka.Relay.Protocol;
using Akka.Relay.Server.Lifecycle;
using Akka.Relay.Server.Logging;
using Akka.Relay.Server.Options;
using Akka.Relay.Server.Security;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// <c>GET /ws/{id}</c>: refuses bad handshakes before the upgrade, asks a new ClientActor to be
/// admitted by the hub, upgrades, hands the socket over, and returns only when the actor says
/// the socket will not be touched again.
/// </summary>
public sealed class RelayWebSocketEndpoint
{
    // The only WebSocket protocol version there is (RFC 6455).
    private const string SupportedWebSocketVersion = "13";

    private readonly ActorSystem _system;
    private readonly IRequiredActor<HubActorBase> _hub;
    private readonly IOptions<RelayOptions> _options;
    private readonly IOptions<RelayInboxOptions> _inbox;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly DrainState _drain;
    private readonly HandshakeAuthenticator _authenticator;
    private readonly NodeSessionLimit _nodeLimit;
    private readonly WebSocketUpgrade _upgrade;
    // The same for every session (the options do not change while the server runs): built once, shared.
    private readonly Lazy<ClientSettings> _clientSettings;
    private readonly ILogger<RelayWebSocketEndpoint> _logger;
    private readonly RelayMetrics _metrics;

    /// <summary>Creates the endpoint.</summary>
    public RelayWebSocketEndpoint(
        ActorSystem system,
        IRequiredActor<HubActorBase> hub,
        IOptions<RelayOptions> options,
        IHostApplicationLifetime lifetime,
        DrainState drain,
        HandshakeAuthenticator authenticator,
        NodeSessionLimit nodeLimit,
        WebSocketUpgrade upgrade,
        IOptions<RelayRateLimitOptions> rateLimit,
        IOptions<RelayInboxOptions> inbox,
        ILogger<RelayWebSocketEndpoint> logger,
        RelayMetrics metrics)
    {
        _system = system;
        _hub = hub;
        _options = options;
        _inbox = inbox;
        _lifetime = lifetime;
        _drain = drain;
        _authenticator = authenticator;
        _nodeLimit = nodeLimit;
        _upgrade = upgrade;
        _clientSettings = new Lazy<ClientSettings>(() => new ClientSettings(options.Value.MaxMessageBytes, options.Value.OutboundQueueCapacity, options.Value.CloseTimeout)
        {
            RateLimit = rateLimit.Value.ToSettings(),
            MaxUnansweredSends = options.Value.MaxUnansweredSends,
            SlowConsumerTimeout = options.Value.SlowConsumerTimeout,
            OutboundQueueMaxBytes = options.Value.OutboundQueueMaxBytes,
            InboxOpenTimeout = inbox.Value.OpenTimeout,
        });
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Handles one handshake that came through ASP.NET's pipeline and, when it is accepted, the whole session.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (await AnswerAsync(new HttpHandshake(context, _upgrade)) is not { } session)
        {
            return;
        }

        // Returning disposes the socket, so wait until both pumps have ended.
        try
        {
            await session.Signals.Completion;
        }
        finally
        {
            Ended(session);
        }
    }

    /// <summary>
    /// Checks one handshake and answers it: the session when it was accepted, whose end the caller awaits
    /// (<see cref="OpenSession.Signals"/>) and then reports with <see cref="Ended"/>. The exchange is disposed either way.
    /// </summary>
    internal async Task<OpenSession?> AnswerAsync(IHandshakeExchange exchange)
    {
        // Only what the session needs is kept while it lasts: the handshake's request, checks and log scope are
        // left behind in OpenAsync, and the exchange is disposed here, so an idle session's caller holds neither.
        try
        {
            return await OpenAsync(exchange);
        }
        finally
        {
            if (exchange is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    /// <summary>A session's socket will not be touched again: stops its pings and gives back its node slot.</summary>
    internal void Ended(OpenSession session)
    {
        _upgrade.Release(session.Heartbeat);
        session.NodeSlot.Dispose();
        _logger.LogDebug("Session {SessionId} of user {UserId} closed ({CloseStatus})", session.SessionId, session.UserId, session.Socket.CloseStatus);
    }

    private async Task<OpenSession?> OpenAsync(IHandshakeExchange exchange)
    {
        if (!UserIds.TryParse(exchange.RouteId, out var userId, out var idError))
        {
            await exchange.RefuseAsync(StatusCodes.Status400BadRequest, idError);
            return null;
        }

        // The request's id (what ASP.NET's own lines carry as RequestId) is the session's id; it names the
        // session actor, so the actor's lines carry it too.
        var traceIdentifier = exchange.TraceIdentifier;
        var sessionId = ActorPath.IsValidPathElement(traceIdentifier) ? traceIdentifier : Guid.NewGuid().ToString("N");
        using var scope = _logger.BeginScope(new SessionLogScope(sessionId, userId));
        if (await CheckAsync(exchange, userId) is not { } admitted)
        {
            return null;
        }

        if (_drain.IsDraining || _lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await exchange.RefuseAsync(StatusCodes.Status503ServiceUnavailable, "server is shutting down");
            return null;
        }

        if (_nodeLimit.TryEnter() is not { } nodeSlot)
        {
            await exchange.RefuseAsync(StatusCodes.Status503ServiceUnavailable, "server is at its session limit; try again later");
            return null;
        }

        // The slot is given back once the session's socket is done (by Ended), or here when there is no session.
        try
        {
            var signals = new SessionSignals();
            if (await AdmitAndAcceptAsync(exchange, userId, sessionId, signals, admitted.Resume, admitted.Authentication) is not { } accepted)
            {
                nodeSlot.Dispose();
                return null;
            }

            return new OpenSession(sessionId, userId, accepted.Socket, accepted.Heartbeat, signals, nodeSlot);
        }
        catch
        {
            nodeSlot.Dispose();
            throw;
        }
    }

    /// <summary>The checks on the request itself; null when one refused it (the answer is sent).</summary>
    private async Task<(ResumeRequest Resume, HandshakeAuthentication Authentication)?> CheckAsync(IHandshakeExchange exchange, ulong userId)
    {
        var context = exchange.Context;

        // RFC 6455 4.1: the opening handshake is an HTTP/1.1 request; ASP.NET upgrades an HTTP/1.0 one too.
        if (HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            await exchange.RefuseAsync(StatusCodes.Status400BadRequest, "a WebSocket upgrade needs HTTP/1.1 or later");
            return null;
        }

        // RFC 6455 4.4: a version the server does not speak is answered with the one it does.
        if (AsksForWebSocket(context.Request) && context.Request.Headers.SecWebSocketVersion.ToString() != SupportedWebSocketVersion)
        {
            context.Response.Headers.SecWebSocketVersion = SupportedWebSocketVersion;
            await exchange.RefuseAsync(StatusCodes.Status426UpgradeRequired, "unsupported Sec-WebSocket-Version: this server speaks version " + SupportedWebSocketVersion);
            return null;
        }

        if (!exchange.IsWebSocketRequest)
        {
            await exchange.RefuseAsync(StatusCodes.Status400BadRequest, "a WebSocket upgrade request (GET with Upgrade: websocket, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 bytes in base64) is required");
            return null;
        }

        var resume = ParseResume(context.Request.Query);
        if (!resume.IsValid)
        {
            await exchange.RefuseAsync(StatusCodes.Status400BadRequest, resume.Error!);
            return null;
        }

        if (resume.OptsIn && !_inbox.Value.Enabled)
        {
            await exchange.RefuseAsync(StatusCodes.Status400BadRequest, "this server keeps no inbox (Relay:Inbox:Enabled is false): connect without resume");
            return null;
        }

        if (!IsOriginAllowed(context.Request.Headers.Origin, _options.Value.AllowedOrigins))
        {
            await exchange.RefuseAsync(StatusCodes.Status403Forbidden, "origin not allowed");
            return null;
        }

        var authentication = await _authenticator.AuthenticateAsync(context, userId);
        if (!authentication.Succeeded)
        {
            // RFC 6750 §3: a 401 names the scheme the client should use.
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await exchange.RefuseAsync(StatusCodes.Status401Unauthorized, authentication.Error!);
            return null;
        }

        return (resume, authentication);
    }

    /// <summary>Creates the session's actor, waits for the hub to admit it, then upgrades; null when it was refused (the answer is sent).</summary>
    private async Task<(WebSocket Socket, HeartbeatStream? Heartbeat)?> AdmitAndAcceptAsync(
        IHandshakeExchange exchange, ulong userId, string sessionId, SessionSignals signals, ResumeRequest resume, HandshakeAuthentication authentication)
    {
        var session = _system.ActorOf(ClientActor.GetProps(userId, _hub.ActorRef, _clientSettings.Value, signals, _metrics, resume), sessionId);
        if (authentication.SessionExpiresAt is { } expiresAt)
        {
            session.Tell(new ExpireSessionAt(expiresAt));
        }

        Admission admission;
        try
        {
            admission = await signals.Admission.WaitAsync(_options.Value.AdmissionTimeout, exchange.Aborted);
            signals.AdmissionSeen();
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            session.Tell(AttachFailed.Instance);
            if (!exchange.Aborted.IsCancellationRequested)
            {
                await exchange.RefuseAsync(StatusCodes.Status503ServiceUnavailable, "server is busy; try again");
            }

            return null;
        }

        if (admission is Admission.Refused refused)
        {
            var status = refused.Reason == RefusalReason.SessionLimit
                ? StatusCodes.Status429TooManyRequests
                : StatusCodes.Status503ServiceUnavailable;
            await exchange.RefuseAsync(status, refused.Detail);
            return null;
        }

        WebSocket socket;
        HeartbeatStream? heartbeat;
        try
        {
            (socket, heartbeat) = await exchange.AcceptAsync();
        }
        catch
        {
            session.Tell(AttachFailed.Instance);
            throw;
        }

        _logger.LogDebug("Session {SessionId} of user {UserId} opened", sessionId, userId);
        session.Tell(new AttachSocket(socket));
        return (socket, heartbeat);
    }

    private static ResumeRequest ParseResume(IQueryCollection query)
    {
        var resume = query["resume"];
        var epoch = query["epoch"];
        if (resume.Count > 1 || epoch.Count > 1)
        {
            // Two values would leave the resume point to whichever one a proxy or client library picks.
            return ResumeRequest.Parse(null, null) with { Error = "resume and epoch may each be given once" };
        }

        return ResumeRequest.Parse(resume.Count == 0 ? null : resume[0], epoch.Count == 0 ? null : epoch[0]);
    }

    /// <summary>True when the request's <c>Upgrade</c> header names websocket (whether or not the rest of the upgrade is right).</summary>
    internal static bool AsksForWebSocket(HttpRequest request)
    {
        foreach (var value in request.Headers.Upgrade)
        {
            if (value is not null && value.Contains("websocket", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsOriginAllowed(string? origin, string[] allowed)
    {
        // Browsers always send Origin; clients without one (bots, servers) are not the
        // cross-site risk an allow-list guards against, so they are let through.
        if (allowed.Length == 0 || string.IsNullOrEmpty(origin))
        {
            return true;
        }

        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate, origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What a running session keeps of its handshake.</summary>
    internal sealed record OpenSession(string SessionId, ulong UserId, WebSocket Socket, HeartbeatStream? Heartbeat, SessionSignals Signals, IDisposable NodeSlot);
}
