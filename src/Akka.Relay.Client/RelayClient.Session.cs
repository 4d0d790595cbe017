using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace Akka.Relay.Client;

// The connection's life: handshake with retries, the read and write loops of one session, and what comes after it.
public sealed partial class RelayClient
{
    private const int MaxIncomingBytes = 1 << 20;

    /// <summary>Connects and reconnects until disposed or until a close or refusal that a retry cannot fix.</summary>
    private async Task RunAsync(Connection first)
    {
        var connection = first;
        while (true)
        {
            await RunSessionAsync(connection).ConfigureAwait(false);
            if (_lifetime.IsCancellationRequested)
            {
                return;
            }

            var ended = new RelayStateChange(RelayConnectionState.Reconnecting, connection.CloseStatus, connection.CloseReason, Error: connection.Error);
            if (!ShouldReconnect(connection))
            {
                Finish(ended with { State = RelayConnectionState.Closed });
                return;
            }

            SetState(ended);
            Connection? next;
            try
            {
                next = await ConnectWithRetriesAsync(initial: false, _lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                return;
            }

            if (next is null)
            {
                return; // Finish already ran with the refusal.
            }

            connection = next;
        }
    }

    /// <summary>Whether a new session can help after <paramref name="ended"/> (docs/clients.md, close codes).</summary>
    private bool ShouldReconnect(Connection ended)
    {
        if (ended.Resync || ended.CloseStatus is null)
        {
            return true; // Dropped without a close frame (1006), a dead server, or answers out of step.
        }

        return ended.CloseStatus.Value switch
        {
            WebSocketCloseStatus.PolicyViolation => ended.CloseReason switch
            {
                Wire.TokenExpired => true, // The next handshake asks the token provider for a fresh one.
                Wire.SlowConsumer => _options.ReconnectOnSlowConsumer,
                Wire.RateLimitExceeded => _options.ReconnectOnRateLimitExceeded,
                _ => false,
            },

            // This client wrote something the server cannot take: a new session would get the same answer.
            WebSocketCloseStatus.ProtocolError or WebSocketCloseStatus.InvalidMessageType or WebSocketCloseStatus.InvalidPayloadData
                or WebSocketCloseStatus.MessageTooBig or WebSocketCloseStatus.MandatoryExtension => false,
            _ => true,
        };
    }

    /// <summary>
    /// Handshakes until one succeeds. 401 asks the token provider again at once (bounded); 400, 403, 426 and 429 end it;
    /// anything else (503, refused connection, timeout) waits out the backoff. The first connect throws; a reconnect
    /// that gives up closes the client and returns null.
    /// </summary>
    private async Task<Connection?> ConnectWithRetriesAsync(bool initial, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var authFailures = 0;
        while (true)
        {
            attempts++;
            if (!initial || attempts > 1)
            {
                await Task.Delay(Backoff.Delay(attempts, _options.ReconnectDelay, _options.MaxReconnectDelay), cancellationToken).ConfigureAwait(false);
            }

            var (connection, status, error, fatalClose) = await TryHandshakeAsync(cancellationToken).ConfigureAwait(false);
            if (connection is not null)
            {
                return connection;
            }

            // The next attempt tries the next node (a dead node's users find a live one).
            _endpointIndex = (_endpointIndex + 1) % _endpoints.Length;

            var fatal = fatalClose || status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.UpgradeRequired or HttpStatusCode.TooManyRequests;
            if (status == HttpStatusCode.Unauthorized)
            {
                authFailures++;
                fatal = authFailures >= _options.MaxAuthAttempts;
                attempts = 0; // A fresh token is tried at once, not after a backoff.
            }

            var outOfAttempts = initial
                ? attempts >= _options.MaxInitialConnectAttempts
                : _options.MaxReconnectAttempts is { } max && attempts >= max;
            if (!fatal && !outOfAttempts)
            {
                continue;
            }

            if (initial)
            {
                if (status != 0)
                {
                    throw new RelayHandshakeException(status, $"the server refused the handshake with {(int)status} {status}", error);
                }

                throw error!;
            }

            Finish(new RelayStateChange(RelayConnectionState.Closed, HandshakeStatus: status == 0 ? null : status, Error: error));
            return null;
        }
    }

    /// <summary>
    /// One handshake. With <see cref="RelayClientOptions.Resume"/> the session counts as open only once its first frame,
    /// the resume header, has arrived (within the same <see cref="RelayClientOptions.ConnectTimeout"/>): only then does
    /// the server keep this user's messages, so only then may <see cref="ConnectAsync"/> return. A session closed before
    /// its header (e.g. 1011 while the inbox store is down) is a failed attempt, fatal when a reconnect cannot help.
    /// </summary>
    private async Task<(Connection? Connection, HttpStatusCode Status, Exception? Error, bool FatalClose)> TryHandshakeAsync(CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        Connection? connection = null;
        try
        {
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
            socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
            if (_options.TokenProvider is { } provider && await provider(cancellationToken).ConfigureAwait(false) is { Length: > 0 } token)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }

            _options.ConfigureWebSocket?.Invoke(socket.Options);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(ResumeUri(), timeout.Token).ConfigureAwait(false);
            connection = new Connection(socket);
            if (!_options.Resume)
            {
                return (connection, HttpStatusCode.SwitchingProtocols, null, false);
            }

            var header = new ArrayBufferWriter<byte>(256);
            var type = await ReceiveMessageAsync(connection, new byte[1024], header, timeout.Token).ConfigureAwait(false);
            if (type == WebSocketMessageType.Close)
            {
                var closed = new WebSocketException(
                    WebSocketError.ConnectionClosedPrematurely,
                    $"the server closed the session ({(int?)connection.CloseStatus} {connection.CloseReason}) before it opened the inbox");
                var fatal = !ShouldReconnect(connection);
                connection.Dispose();
                return (null, 0, closed, fatal);
            }

            connection.FirstFrame = header.WrittenMemory.ToArray();
            return (connection, HttpStatusCode.SwitchingProtocols, null, false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // After the upgrade a failure is the session's (a timeout waiting for the header), not an HTTP refusal.
            var status = connection is null ? socket.HttpStatusCode : 0;
            Dispose(connection, socket);
            return (null, status, e, false);
        }
        catch
        {
            Dispose(connection, socket);
            throw;
        }
    }

    private static void Dispose(Connection? connection, ClientWebSocket socket)
    {
        if (connection is null)
        {
            socket.Dispose();
        }
        else
        {
            connection.Dispose(); // its socket too
        }
    }

    private Uri ResumeUri()
    {
        var endpoint = _endpoints[_endpointIndex];
        if (!_options.Resume)
        {
            return endpoint;
        }

        var position = Volatile.Read(ref _handed);
        var query = "resume=" + position.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (position.Epoch is { } epoch)
        {
            query += "&epoch=" + Uri.EscapeDataString(epoch);
        }

        return new UriBuilder(endpoint) { Query = query }.Uri;
    }

    /// <summary>Runs one session until it ends; its SENDs without an answer stay queued for the next one.</summary>
    private async Task RunSessionAsync(Connection connection)
    {
        lock (_gate)
        {
            // The SENDs written on the last session and not answered were written before anything still unwritten:
            // they go first, in their order.
            for (var node = _awaiting.Last; node is not null; node = node.Previous)
            {
                _unwritten.AddFirst(node.Value);
            }

            _awaiting.Clear();
            _current = connection;
        }

        if (State != RelayConnectionState.Connected)
        {
            SetState(new RelayStateChange(RelayConnectionState.Connected)); // The first session's was set by ConnectAsync.
        }
        var reading = ReadLoopAsync(connection);
        var writing = WriteLoopAsync(connection);
        var ended = await Task.WhenAny(reading, writing).ConfigureAwait(false);
        if (ended == writing && _lifetime.IsCancellationRequested)
        {
            // Disposing: the write loop sent our close; give the server a moment to answer it.
            await Task.WhenAny(reading, Task.Delay(CloseHandshakeTimeout)).ConfigureAwait(false);
        }

        connection.Stop();
        connection.Socket.Abort();
        foreach (var loop in new[] { reading, writing })
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !connection.Token.IsCancellationRequested)
            {
                connection.Error ??= e;
            }
            catch (OperationCanceledException)
            {
                // This session was stopped on purpose.
            }
        }

        lock (_gate)
        {
            _current = null;
        }

        connection.Dispose();
    }

    private async Task WriteLoopAsync(Connection connection)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(connection.Token, _lifetime.Token);
        try
        {
            while (true)
            {
                PendingItem? next;
                lock (_gate)
                {
                    // Taken from the queue and listed in one step: no cancellation can fall between the two.
                    next = _unwritten.First?.Value;
                    if (next is null && _outgoing.Reader.TryRead(out var queued))
                    {
                        _unwritten.AddLast(queued);
                        next = queued;
                    }
                }

                if (next is not null)
                {
                    await WriteAsync(connection, next, linked.Token).ConfigureAwait(false);
                }
                else if (!await _outgoing.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested && !connection.Token.IsCancellationRequested)
        {
            using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
            await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client closed", timeout.Token).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(Connection connection, PendingItem item, CancellationToken cancellationToken)
    {
        if (item.IsDone)
        {
            lock (_gate)
            {
                _unwritten.Remove(item); // Cancelled by its caller before it was written.
            }

            return;
        }

        // Waits in _unwritten: a session that ends meanwhile leaves it there for the next one.
        while (_oneAtATime && Outstanding(connection) > 0)
        {
            await _answered.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            // Registered before the write: if the write is cut, the SEND is resent on the next session.
            if (item.IsSend)
            {
                _unwritten.Remove(item);
                _awaiting.AddLast(item);
            }
            else
            {
                connection.Unechoed.Add(item.Mid);
            }
        }

        await connection.Socket.SendAsync(item.Payload, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        if (!item.IsSend)
        {
            // A BROADCAST cut off mid-write stays listed and is written again on the next session.
            lock (_gate)
            {
                _unwritten.Remove(item);
            }

            item.Completion.TrySetResult(SendResult.Delivered);
        }
    }

    private int Outstanding(Connection connection)
    {
        lock (_gate)
        {
            return _awaiting.Count + connection.Unechoed.Count;
        }
    }

    private async Task ReadLoopAsync(Connection connection)
    {
        if (connection.FirstFrame is { } first)
        {
            // The resume header, read before the session counted as open.
            connection.FirstFrame = null;
            await OnFrameAsync(connection, first).ConfigureAwait(false);
        }

        var buffer = new byte[4096];
        var message = new ArrayBufferWriter<byte>(4096);
        WebSocketMessageType type;
        while ((type = await ReceiveMessageAsync(connection, buffer, message, connection.Token).ConfigureAwait(false)) != WebSocketMessageType.Close)
        {
            if (type == WebSocketMessageType.Text)
            {
                await OnFrameAsync(connection, message.WrittenMemory).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Reads one whole message into <paramref name="message"/> and returns its type; on the server's close it records
    /// the close on <paramref name="connection"/>, answers it and returns <see cref="WebSocketMessageType.Close"/>.
    /// </summary>
    private static async Task<WebSocketMessageType> ReceiveMessageAsync(Connection connection, byte[] buffer, ArrayBufferWriter<byte> message, CancellationToken cancellationToken)
    {
        message.ResetWrittenCount();
        while (true)
        {
            var result = await connection.Socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                connection.CloseStatus = connection.Socket.CloseStatus;
                connection.CloseReason = connection.Socket.CloseStatusDescription;
                if (connection.Socket.State == WebSocketState.CloseReceived)
                {
                    using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                    try
                    {
                        await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidOperationException)
                    {
                        // The server's close is what counts; our answer is a courtesy.
                    }
                }

                return WebSocketMessageType.Close;
            }

            message.Write(buffer.AsSpan(0, result.Count));
            if (message.WrittenCount > MaxIncomingBytes)
            {
                throw new InvalidDataException($"a message from the server exceeded {MaxIncomingBytes} bytes");
            }

            if (result.EndOfMessage)
            {
                return result.MessageType;
            }
        }
    }
}
