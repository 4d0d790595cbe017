namespace Akka.Relay.Actors.Inbox;

/// <summary>
/// The messages an inbox keeps, oldest first, in a ring: a full inbox drops its oldest message for every new one, and
/// a list would move all the others (up to MaxMessages references) each time.
/// </summary>
public sealed class KeptMessages
{
    private StoredMessage[] _ring = new StoredMessage[16];
    private int _head;

    /// <summary>How many messages are kept.</summary>
    public int Count { get; private set; }

    /// <summary>The <paramref name="index"/>-th oldest kept message.</summary>
    public StoredMessage this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            return _ring[(_head + index) % _ring.Length];
        }
    }

    /// <summary>Keeps <paramref name="message"/> as the newest.</summary>
    public void Add(StoredMessage message)
    {
        if (Count == _ring.Length)
        {
            Grow();
        }

        _ring[(_head + Count) % _ring.Length] = message;
        Count++;
    }

    /// <summary>Drops the <paramref name="count"/> oldest messages.</summary>
    public void DropOldest(int count)
    {
        if ((uint)count > (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        for (var i = 0; i < count; i++)
        {
            _ring[_head] = null!;
            _head = (_head + 1) % _ring.Length;
        }

        Count -= count;
        if (Count == 0)
        {
            _head = 0;
        }
    }

    /// <summary>Drops every message.</summary>
    public void Clear()
    {
        Array.Clear(_ring);
        _head = 0;
        Count = 0;
    }

    /// <summary>The kept messages, oldest first, as a new array (a snapshot's contents).</summary>
    public StoredMessage[] ToArray()
    {
        var copy = new StoredMessage[Count];
        for (var i = 0; i < Count; i++)
        {
            copy[i] = this[i];
        }

        return copy;
    }

    private void Grow()
    {
        var larger = new StoredMessage[_ring.Length * 2];
        for (var i = 0; i < Count; i++)
        {
            larger[i] = this[i];
        }

        _ring = larger;
        _head = 0;
    }
}
