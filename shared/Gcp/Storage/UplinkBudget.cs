namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// The store's bandwidth cap (<see cref="GcsSettings.MaxBytesPerSecond"/>): a token bucket, one token a byte, refilled every
/// 100 ms with a tenth of the rate and holding no more than that, shared by every request of the store. Two queues: live
/// appends (a segment FFmpeg is writing, whose bytes are at risk until they are in the bucket) are served before any
/// ordinary upload's next bite, whatever waited longer; each queue is first come, first served. The timer runs only while
/// the bucket is short or someone waits: a full bucket with nobody waiting has nothing to refill, and a recorder with a cap
/// (the example configuration has one) was otherwise woken ten times a second for as long as it ran, uploading or not.
/// </summary>
internal sealed class UplinkBudget : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _live = new();
    private readonly Queue<Waiter> _bulk = new();
    private readonly ITimer _timer;
    private long _tokens;
    private bool _ticking;

    public UplinkBudget(long bytesPerSecond, TimeProvider time)
    {
        Bite = (int)Math.Clamp(bytesPerSecond / 10, 1, int.MaxValue);
        _tokens = Bite;
        _timer = time.CreateTimer(_ => Refill(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); // full: nothing to tick for
    }

    /// <summary>Whether the refill timer runs (for tests: a full bucket that nobody waits on must not tick).</summary>
    internal bool IsTicking
    {
        get
        {
            lock (_gate)
            {
                return _ticking;
            }
        }
    }

    /// <summary>The most one acquisition may ask for (what the bucket holds when full).</summary>
    public int Bite { get; }

    /// <summary>Waits for <paramref name="bytes"/> tokens (at most <see cref="Bite"/>), live ones before any ordinary one.</summary>
    public ValueTask AcquireAsync(int bytes, bool live, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Bite);
        Waiter waiter;
        lock (_gate)
        {
            // Nobody may overtake a waiter of the same or a higher priority.
            bool ahead = _live.Count > 0 || (!live && _bulk.Count > 0);
            if (!ahead && _tokens >= bytes)
            {
                _tokens -= bytes;
                StartTicking();
                return ValueTask.CompletedTask;
            }
            waiter = new Waiter(bytes);
            (live ? _live : _bulk).Enqueue(waiter);
            StartTicking();
        }
        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.Register(() => waiter.Done.TrySetCanceled(cancellationToken));
            _ = waiter.Done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return new ValueTask(waiter.Done.Task);
    }

    private void Refill()
    {
        var granted = new List<Waiter>();
        lock (_gate)
        {
            _tokens = Math.Min(Bite, _tokens + Bite);
            Serve(_live, granted);
            if (_live.Count == 0)
            {
                Serve(_bulk, granted);
            }
            if (_tokens == Bite && _live.Count == 0 && _bulk.Count == 0 && _ticking)
            {
                _ticking = false; // full, and nobody waits: a tick could only find it full again
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        foreach (Waiter waiter in granted)
        {
            waiter.Done.TrySetResult();
        }
    }

    /// <summary>Starts the refill timer if it is stopped; under the gate.</summary>
    private void StartTicking()
    {
        if (!_ticking)
        {
            _ticking = true;
            _timer.Change(Tick, Tick);
        }
    }

    /// <summary>Hands tokens to the queue's waiters in order while they fit; a cancelled waiter gives its turn away.</summary>
    private void Serve(Queue<Waiter> queue, List<Waiter> granted)
    {
        while (queue.TryPeek(out Waiter? next))
        {
            if (next.Done.Task.IsCompleted)
            {
                queue.Dequeue();
                continue;
            }
            if (_tokens < next.Bytes)
            {
                return;
            }
            _tokens -= next.Bytes;
            granted.Add(queue.Dequeue());
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Waiter(int bytes)
    {
        public int Bytes { get; } = bytes;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
