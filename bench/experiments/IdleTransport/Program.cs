// Usage: IdleTransport http|handler PORT
//   http:    app.UseWebSockets() + AcceptWebSocketAsync: the session keeps its HttpContext (what the relay does).
//   handler: a Kestrel ConnectionHandler reads the request head, answers 101 itself and builds the socket with
//            WebSocket.CreateFromStream over the connection's pipes: no HttpContext at all.
// Both hold each socket with a pending zero-byte receive and no keep-alive timer, like the relay's read pump.
using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;

var mode = args[0];
var port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, port, listen =>
{
    if (mode == "handler")
    {
        listen.UseConnectionHandler<UpgradeHandler>();
    }
}));
var app = builder.Build();
if (mode == "http")
{
    app.UseWebSockets();
    app.Map("/ws/{id}", async (HttpContext context) =>
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.Zero });
        await Idle.HoldAsync(socket);
    });
}

app.Run();

/// <summary>Holds a socket until the client closes it.</summary>
internal static class Idle
{
    public static async Task HoldAsync(WebSocket socket)
    {
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                var buffer = ArrayPool<byte>.Shared.Rent(4096);
                var message = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                ArrayPool<byte>.Shared.Return(buffer);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
        }
    }
}

/// <summary>The HTTP/1.1 upgrade answered below HTTP.</summary>
internal sealed class UpgradeHandler : ConnectionHandler
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        string? key = null;
        while (key is null)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> head, HeaderEnd))
            {
                foreach (var line in Encoding.ASCII.GetString(head).Split("\r\n"))
                {
                    if (line.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))
                    {
                        key = line["Sec-WebSocket-Key:".Length..].Trim();
                    }
                }

                input.AdvanceTo(reader.Position);
                if (key is null)
                {
                    return;
                }

                break;
            }

            if (result.IsCompleted)
            {
                return;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }

        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
        using var socket = WebSocket.CreateFromStream(new DuplexPipeStream(connection.Transport), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        await Idle.HoldAsync(socket);
    }
}

/// <summary>A stream over a connection's two pipes.</summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
{
    private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
    private readonly Stream _output = pipe.Output.AsStream(leaveOpen: true);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _input.ReadAsync(buffer, offset, count, cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _output.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _output.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);
    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);
    public override void Flush() => _output.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
