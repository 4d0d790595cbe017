using System.Text;

namespace Akka.Relay.Bench.Connection;

/// <summary>
/// A stream that buffers reads (one socket read serves many small frames: the WebSocket reads a
/// frame's header and its payload separately) and passes writes straight through. It also reads
/// the HTTP upgrade response, keeping whatever arrived after it.
/// </summary>
public sealed class ReadBufferedStream : Stream
{
    private readonly Stream _inner;
    private readonly int _bufferSize;
    private byte[] _buffer;
    private int _start;
    private int _end;

    /// <summary>Wraps <paramref name="inner"/> (owned: disposed with this stream) with a read buffer of <paramref name="bufferSize"/> bytes.</summary>
    public ReadBufferedStream(Stream inner, int bufferSize)
    {
        _inner = inner;
        _bufferSize = Math.Max(bufferSize, 256);
        _buffer = new byte[Math.Max(_bufferSize, 1024)];
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Reads up to and including the blank line that ends an HTTP response header and returns the
    /// header as ASCII text (without the blank line); bytes after it stay buffered.
    /// </summary>
    public async Task<string> ReadHeaderAsync(int maxBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var header = Encoding.ASCII.GetString(_buffer, _start, end);
                _start += end + 4;
                ShrinkToBufferSize();
                return header;
            }

            if (_end - _start >= maxBytes)
            {
                throw new HandshakeException(0, $"response header longer than {maxBytes} bytes");
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxBytes + 4));
            }

            var read = await _inner.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("connection closed during the upgrade");
            }

            _end += read;
        }
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_start == _end)
        {
            if (buffer.Length >= _buffer.Length)
            {
                return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            _start = 0;
            _end = await _inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (_end == 0)
            {
                return 0;
            }
        }

        var count = Math.Min(buffer.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(buffer.Span);
        _start += count;
        return count;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override void Flush() => _inner.Flush();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _inner.DisposeAsync();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // The header may have needed a bigger buffer than the sessions's steady state: give it back.
    private void ShrinkToBufferSize()
    {
        var pending = _end - _start;
        if (_buffer.Length == _bufferSize && _start == 0)
        {
            return;
        }

        var target = pending <= _bufferSize ? new byte[_bufferSize] : new byte[pending];
        _buffer.AsSpan(_start, pending).CopyTo(target);
        _buffer = target;
        _start = 0;
        _end = pending;
    }
}
