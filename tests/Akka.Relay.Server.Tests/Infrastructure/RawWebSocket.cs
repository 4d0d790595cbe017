using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>A frame the server sent, as read off the wire.</summary>
public sealed record RawFrame(int Opcode, bool Fin, byte[] Payload)
{
    /// <summary>Close: 0x8.</summary>
    public const int Close = 0x8;

    /// <summary>Pong: 0xA.</summary>
    public const int Pong = 0xA;

    /// <summary>The close code of a close frame (null when it carries none).</summary>
    public int? CloseCode => Opcode == Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>The close reason of a close frame.</summary>
    public string CloseReason => Opcode == Close && Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : string.Empty;
}

/// <summary>
/// A WebSocket client written frame by frame over a plain TCP socket, so that tests can send what
/// no well-behaved client library would: malformed control frames, reserved bits, unmasked or
/// unknown frames, lengths that lie, partial handshakes.
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Random _random;

    private RawWebSocket(Socket socket, Random random)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _random = random;
    }

    /// <summary>Opens a TCP connection to the server without sending anything.</summary>
    public static async Task<RawWebSocket> ConnectTcpAsync(Uri server, Random? random = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        await socket.ConnectAsync(server.Host, server.Port, timeout.Token);
        return new RawWebSocket(socket, random ?? new Random());
    }

    /// <summary>Connects and completes the upgrade to <paramref name="pathAndQuery"/> (e.g. "/ws/42"); fails unless the answer is 101.</summary>
    public static async Task<RawWebSocket> ConnectAsync(Uri server, string pathAndQuery, Random? random = null)
    {
        var raw = await ConnectTcpAsync(server, random);
        try
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await raw.SendRawAsync(Encoding.ASCII.GetBytes(
                $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            var header = await raw.ReadHttpHeaderAsync();
            Assert.True(header.StartsWith("HTTP/1.1 101", StringComparison.Ordinal), $"upgrade refused: {header}");
            return raw;
        }
        catch
        {
            await raw.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes bytes as they are.</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        await _stream.WriteAsync(bytes, timeout.Token);
    }

    /// <summary>
    /// Writes one frame. <paramref name="declaredLength"/> overrides the length field (a frame that
    /// claims more than it carries); <paramref name="masked"/> false sends it unmasked, as no client may.
    /// </summary>
    public Task SendFrameAsync(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, bool masked = true, ulong? declaredLength = null) =>
        SendRawAsync(EncodeFrame(opcode, payload, fin, rsv, masked, declaredLength));

    /// <summary>Encodes one client frame.</summary>
    public byte[] EncodeFrame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, bool masked = true, ulong? declaredLength = null)
    {
        var length = declaredLength ?? (ulong)payload.Length;
        using var frame = new MemoryStream();
        frame.WriteByte((byte)((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xF)));
        var maskBit = masked ? 0x80 : 0;
        if (length < 126)
        {
            frame.WriteByte((byte)(maskBit | (int)length));
        }
        else if (length <= ushort.MaxValue)
        {
            frame.WriteByte((byte)(maskBit | 126));
            Span<byte> l16 = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(l16, (ushort)length);
            frame.Write(l16);
        }
        else
        {
            frame.WriteByte((byte)(maskBit | 127));
            Span<byte> l64 = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(l64, length);
            frame.Write(l64);
        }

        var data = payload.ToArray();
        if (masked)
        {
            var key = new byte[4];
            _random.NextBytes(key);
            frame.Write(key);
            for (var i = 0; i < data.Length; i++)
            {
                data[i] ^= key[i % 4];
            }
        }

        frame.Write(data);
        return frame.ToArray();
    }

    /// <summary>The payload of a close frame: the code, then the reason.</summary>
    public static byte[] ClosePayload(int code, string reason = "")
    {
        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        reasonBytes.CopyTo(payload, 2);
        return payload;
    }

    /// <summary>Reads the server's next frame; null when the connection ended (EOF, reset or timeout).</summary>
    public async Task<RawFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        try
        {
            var head = await ReadExactlyAsync(2, cts.Token);
            if (head is null)
            {
                return null;
            }

            ulong length = (uint)(head[1] & 0x7F);
            if (length == 126)
            {
                var l16 = await ReadExactlyAsync(2, cts.Token);
                length = l16 is null ? 0UL : BinaryPrimitives.ReadUInt16BigEndian(l16);
            }
            else if (length == 127)
            {
                var l64 = await ReadExactlyAsync(8, cts.Token);
                length = l64 is null ? 0UL : BinaryPrimitives.ReadUInt64BigEndian(l64);
            }

            Assert.True(length < 1 << 24, $"the server announced a frame of {length} bytes");
            var payload = length == 0 ? [] : await ReadExactlyAsync((int)length, cts.Token);
            return payload is null ? null : new RawFrame(head[0] & 0xF, (head[0] & 0x80) != 0, payload);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads frames until the server's close frame (returned) or the end of the connection (null),
    /// answering nothing. <paramref name="seen"/> collects every frame before the close.
    /// </summary>
    public async Task<RawFrame?> ReadUntilCloseAsync(List<RawFrame>? seen = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestClient.DefaultTimeout);
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            var frame = await ReadFrameAsync(remaining);
            if (frame is null || frame.Opcode == RawFrame.Close)
            {
                return frame;
            }

            seen?.Add(frame);
        }
    }

    /// <summary>Reads until the server closes the TCP connection; true if it did within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForDisconnectAsync(TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return true; // reset by the server
        }
    }

    /// <summary>Reads an HTTP response header block (up to the blank line).</summary>
    public async Task<string> ReadHttpHeaderAsync()
    {
        using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
        var header = new StringBuilder();
        var one = new byte[1];
        while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(one, cts.Token) == 0)
            {
                break;
            }

            header.Append((char)one[0]);
        }

        return header.ToString();
    }

    /// <summary>
    /// Reads a complete HTTP response: the header block, then the body as its header frames it
    /// (Content-Length, chunked, or up to the end of the connection).
    /// </summary>
    public async Task<(string Header, string Body)> ReadHttpResponseAsync()
    {
        var header = await ReadHttpHeaderAsync();
        using var cts = new CancellationTokenSource(TestClient.DefaultTimeout);
        var body = new MemoryStream();
        var lines = header.Split("\r\n");
        var length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(-1);
        var chunked = lines.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase));
        if (chunked)
        {
            while (true)
            {
                var size = Convert.ToInt32((await ReadLineAsync(cts.Token)).Split(';')[0].Trim(), 16);
                var chunk = new byte[size];
                await _stream.ReadExactlyAsync(chunk, cts.Token);
                body.Write(chunk);
                await ReadLineAsync(cts.Token);
                if (size == 0)
                {
                    break;
                }
            }
        }
        else if (length >= 0)
        {
            var content = new byte[length];
            await _stream.ReadExactlyAsync(content, cts.Token);
            body.Write(content);
        }
        else
        {
            await _stream.CopyToAsync(body, cts.Token);
        }

        return (header, Encoding.UTF8.GetString(body.ToArray()));
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellation)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(one, cancellation) == 0)
            {
                break;
            }

            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r', '\n');
    }

    /// <summary>Drops the connection with a TCP reset (no close frame, no FIN handshake).</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Already closed.
        }

        _socket.Close();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<byte[]?> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return null;
            }

            read += n;
        }

        return buffer;
    }
}

/// <summary>WebSocket opcodes (RFC 6455 §5.2).</summary>
public static class Opcode
{
    /// <summary>Continuation of a fragmented message.</summary>
    public const int Continuation = 0x0;

    /// <summary>Text.</summary>
    public const int Text = 0x1;

    /// <summary>Binary.</summary>
    public const int Binary = 0x2;

    /// <summary>Close.</summary>
    public const int Close = 0x8;

    /// <summary>Ping.</summary>
    public const int Ping = 0x9;

    /// <summary>Pong.</summary>
    public const int Pong = 0xA;
}
