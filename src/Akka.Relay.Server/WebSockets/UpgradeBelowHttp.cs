using System.IO.Pipelines;
using Akka.Relay.Server.Logging;
using Akka.Relay.Server.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Akka.Relay.Server.WebSockets;

/// <summary>
/// Kestrel connection middleware that takes a WebSocket handshake to <c>/ws/{id}</c> below HTTP: it reads a new
/// connection's first request head off the transport, and when that is an upgrade to <c>/ws/{id}</c> it runs the
/// endpoint's checks and session on the connection itself, so no kept-alive HTTP request (~4.5 KiB) stays behind
/// each session. Anything else (the API, health, metrics, the chat page, a malformed or oversized head, TLS, HTTP/2)
/// is handed to Kestrel's HTTP pipeline untouched, and so is every later request on a kept-alive connection: those
/// upgrades go through <see cref="RelayWebSocketEndpoint.HandleAsync"/> as before.
/// </summary>
public sealed class UpgradeBelowHttp
{
    /// <summary>The setting that turns it off (<c>Relay:UpgradeBelowHttp</c>).</summary>
    public const string Setting = RelayOptions.Section + ":" + nameof(RelayOptions.UpgradeBelowHttp);

    private readonly RelayWebSocketEndpoint _endpoint;
    private readonly WebSocketUpgrade _upgrade;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeSpan _handshakeTimeout;
    private readonly long _maxHeadBytes;

    /// <summary>Creates the middleware.</summary>
    public UpgradeBelowHttp(RelayWebSocketEndpoint endpoint, WebSocketUpgrade upgrade, IServiceScopeFactory scopes, IOptions<RelayOptions> relay, IOptions<KestrelServerOptions> kestrel)
    {
        _endpoint = endpoint;
        _upgrade = upgrade;
        _scopes = scopes;
        _handshakeTimeout = relay.Value.HandshakeTimeout;
        var limits = kestrel.Value.Limits;
        _maxHeadBytes = limits.MaxRequestLineSize + limits.MaxRequestHeadersTotalSize;
    }

    /// <summary>
    /// Puts the middleware in front of every endpoint's HTTP handling, unless <see cref="Setting"/> is false or ASP.NET's
    /// request lines are asked for (an upgrade below HTTP is no request and would be missing from them).
    /// </summary>
    public static void Register(WebApplicationBuilder builder)
    {
        if (!IsEnabled(builder.Configuration))
        {
            return;
        }

        builder.Services.AddSingleton<UpgradeBelowHttp>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
        {
            var middleware = listen.ApplicationServices.GetRequiredService<UpgradeBelowHttp>();
            return connection => middleware.OnConnectionAsync(connection, next);
        })));
    }

    /// <summary>Whether handshakes go below HTTP: unless <see cref="Setting"/> is false, and off whenever ASP.NET's request lines are logged.</summary>
    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue(Setting, true) && HostingRequestLines.ConfiguredLevel(configuration) >= LogLevel.Warning;

    /// <summary>Handles one new connection: a handshake to <c>/ws/{id}</c> here, anything else by <paramref name="next"/>.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var (handshake, handOver) = await ReadHandshakeAsync(connection);
        if (handshake is null)
        {
            if (handOver)
            {
                await next(connection);
            }

            return;
        }

        // The endpoint disposes the handshake once it is answered, and the session is awaited here rather than in a
        // method of the endpoint: an idle session waits in this one state machine, which keeps nothing of the handshake.
        var answering = _endpoint.AnswerAsync(handshake);
        handshake = null;
        if (await answering is not { } session)
        {
            return;
        }

        // Returning ends the connection, so wait until both pumps have ended.
        try
        {
            await session.Signals.Completion;
        }
        finally
        {
            _endpoint.Ended(session);
        }
    }

    /// <summary>
    /// Reads the connection's first request head: a handshake to take (its head consumed), or none, to hand over
    /// (nothing consumed) or because the connection was dropped.
    /// </summary>
    private async Task<(ConnectionHandshake? Handshake, bool HandOver)> ReadHandshakeAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(_handshakeTimeout);

        // Where the last incomplete look ended: the pipe must not be told less was examined than before.
        SequencePosition? examined = null;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // Silent or half-sent past the handshake timeout: dropped, as Kestrel drops it.
                connection.Abort(new ConnectionAbortedException("the handshake was not sent within Relay:HandshakeTimeout"));
                return (null, false);
            }

            var buffer = result.Buffer;
            var read = RequestHead.TryRead(buffer, _maxHeadBytes, out var head, out var end);
            if (read == RequestHeadRead.Incomplete && !result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                examined = buffer.End;
                continue;
            }

            if (read != RequestHeadRead.Upgrade)
            {
                // Nothing consumed, and more there than was examined: Kestrel's first read returns at once with all of it.
                input.AdvanceTo(buffer.Start, examined ?? buffer.Start);
                return (null, true);
            }

            // The request is built (and the head's bytes copied out) before they are given back to the pipe.
            var handshake = new ConnectionHandshake(connection, head!, _upgrade, _scopes);
            input.AdvanceTo(end);
            return (handshake, false);
        }
    }
}
