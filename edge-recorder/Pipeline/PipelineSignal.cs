namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// "Something happened, look again": set by whoever produced work (a segment closed, an upload finished), consumed by
/// the one loop that does it. Sets while nobody waits are remembered (once); a wait returns at the first set or when
/// its deadline passes, so a loop sleeps until there is work or until time itself is the point (a back-off, a heartbeat).
/// </summary>
public sealed class PipelineSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes the waiter (or the next wait, if none is waiting now).</summary>
    public void Set()
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            fired = _next;
        }
        fired.TrySetResult();
    }

    /// <summary>True when it was set since the last consume; clears it.</summary>
    public bool Consume()
    {
        lock (_lock)
        {
            if (!_next.Task.IsCompleted)
            {
                return false;
            }
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return true;
        }
    }

    /// <summary>Completes when the signal is set (now or later); does not clear it.</summary>
    public Task Fired
    {
        get
        {
            lock (_lock)
            {
                return _next.Task;
            }
        }
    }

    /// <summary>
    /// Waits until any of <paramref name="signals"/> is set or <paramref name="timeout"/> passes on <paramref name="time"/>.
    /// True when a signal fired. Nothing is cleared: the caller consumes what it handles.
    /// </summary>
    public static Task<bool> WaitAnyAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken, params PipelineSignal[] signals) =>
        Wait(timeout, (t, token) => Task.Delay(t, time, token), signals, cancellationToken);

    /// <summary>As above, the timeout ending on the nearest beat of <paramref name="beat"/> (no timer of its own).</summary>
    public static Task<bool> WaitAnyAsync(TimeSpan timeout, Metronome beat, CancellationToken cancellationToken, params PipelineSignal[] signals) =>
        Wait(timeout, beat.WaitAsync, signals, cancellationToken);

    private static async Task<bool> Wait(TimeSpan timeout, Func<TimeSpan, CancellationToken, Task> wait, PipelineSignal[] signals,
        CancellationToken cancellationToken)
    {
        Task[] fired = [.. signals.Select(s => s.Fired)];
        if (fired.Any(t => t.IsCompleted))
        {
            return true;
        }
        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = timeout == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.InfiniteTimeSpan, waiting.Token) : wait(timeout, waiting.Token);
        Task first = await Task.WhenAny([.. fired, delay]);
        await waiting.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return first != delay;
    }
}
