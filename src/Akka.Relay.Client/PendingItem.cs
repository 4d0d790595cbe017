namespace Akka.Relay.Client;

/// <summary>A SEND or BROADCAST waiting to be written, and, for a SEND, for its answer.</summary>
internal sealed class PendingItem
{
    private PendingItem(bool isSend, ulong receiver, string mid, byte[] payload)
    {
        IsSend = isSend;
        Receiver = receiver;
        Mid = mid;
        Payload = payload;
    }

    public bool IsSend { get; }

    public ulong Receiver { get; }

    /// <summary>The client message id: the same on every resend, so an inbox drops a retried copy.</summary>
    public string Mid { get; }

    public byte[] Payload { get; }

    /// <summary>A SEND's answer; a BROADCAST's completes when it is written.</summary>
    public TaskCompletionSource<SendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsDone => Completion.Task.IsCompleted;

    public static PendingItem Send(ulong receiver, string mid, byte[] payload) => new(true, receiver, mid, payload);

    public static PendingItem Broadcast(string mid, byte[] payload) => new(false, 0, mid, payload);
}
