using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Akka.Relay.Server.Tests.Infrastructure;

namespace Akka.Relay.Server.Tests.Fuzz;

/// <summary>What a fuzz client saw on its connection.</summary>
public abstract record FuzzEvent
{
    /// <summary>A text message.</summary>
    public sealed record Text(string Value) : FuzzEvent;

    /// <summary>A Pong.</summary>
    public sealed record Pong(byte[] Payload) : FuzzEvent;

    /// <summary>The server's close frame.</summary>
    public sealed record Closed(int? Code, string Reason) : FuzzEvent;

    /// <summary>Any other frame (binary, continuation, ping): the server never sends these.</summary>
    public sealed record Other(int Opcode) : FuzzEvent;

    /// <summary>The connection ended without a close frame (or after it).</summary>
    public sealed record End : FuzzEvent;
}

/// <summary>A raw WebSocket session of one fuzz client, with a reader that turns frames into events.</summary>
public sealed class FuzzConnection : IAsyncDisposable
{
    private readonly RawWebSocket _socket;
    private readonly Channel<FuzzEvent> _events = Channel.CreateUnbounded<FuzzEvent>();
    private readonly Task _reader;

    private FuzzConnection(RawWebSocket socket, ulong userId)
    {
        _socket = socket;
        UserId = userId;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>The session's user id.</summary>
    public ulong UserId { get; }

    /// <summary>Opens a session for <paramref name="userId"/>.</summary>
    public static async Task<FuzzConnection> OpenAsync(Uri server, ulong userId, Random random) =>
        new(await RawWebSocket.ConnectAsync(server, "/ws/" + userId, random), userId);

    /// <summary>Writes the frames of <paramref name="input"/> as one write per frame.</summary>
    public async Task SendAsync(FuzzInput input)
    {
        foreach (var frame in input.Frames)
        {
            await _socket.SendFrameAsync(frame.Opcode, frame.Payload, frame.Fin, frame.Rsv, frame.Masked, frame.DeclaredLength);
        }

        if (input.RawTail is { } tail)
        {
            await _socket.SendRawAsync(tail);
        }
    }

    /// <summary>Answers the server's close frame, as a browser would (errors ignored: the server may be gone).</summary>
    public async Task AnswerCloseAsync(int? code)
    {
        try
        {
            await _socket.SendFrameAsync(Opcode.Close, code is { } c && c != 1005 ? RawWebSocket.ClosePayload(c) : []);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>The next event, or null after <paramref name="timeout"/>.</summary>
    public async Task<FuzzEvent?> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return new FuzzEvent.End();
        }
    }

    /// <summary>Drops the TCP connection (reset).</summary>
    public void Abort() => _socket.Abort();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _socket.DisposeAsync();
        await _reader.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task ReadAsync()
    {
        try
        {
            while (true)
            {
                var frame = await _socket.ReadFrameAsync(TimeSpan.FromHours(1));
                if (frame is null)
                {
                    await _events.Writer.WriteAsync(new FuzzEvent.End());
                    return;
                }

                FuzzEvent next = frame.Opcode switch
                {
                    Opcode.Text when frame.Fin => new FuzzEvent.Text(Encoding.UTF8.GetString(frame.Payload)),
                    Opcode.Pong => new FuzzEvent.Pong(frame.Payload),
                    Opcode.Close => new FuzzEvent.Closed(frame.CloseCode, frame.CloseReason),
                    _ => new FuzzEvent.Other(frame.Opcode),
                };
                await _events.Writer.WriteAsync(next);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A frame the reader refuses (e.g. an absurd length) ends the connection as far as the test is concerned.
            await _events.Writer.WriteAsync(new FuzzEvent.Other(-1));
            await _events.Writer.WriteAsync(new FuzzEvent.End());
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }
}
