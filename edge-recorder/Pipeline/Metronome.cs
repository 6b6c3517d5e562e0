namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// One timer for the agent's periodic looks, so they wake together. Each loop that waited on its own timer (the live
/// tailer four times a second, every camera's supervisor and the configuration watcher once a second, the pipeline
/// loop between events) cost the runtime's timer thread a wake to fire it and often another to arm the next one, and a
/// thread pool worker a wake to run it: at 4 cameras the agent switched context 170 times a second, and the timer
/// thread alone took a sixth of its CPU (issue 15). Here one periodic timer beats while anyone waits, and each beat
/// releases every wait that is due.
/// </summary>
/// <remarks>
/// A wait ends at the beat nearest to its due time: up to half a beat early or late (plus the timer's own lateness),
/// never before the next beat. Callers that need an instant (a recording window's edge) keep their own timer for it.
/// Beats are counted on <see cref="TimeProvider.GetTimestamp"/>, as the timer itself is: a test that moves only the
/// wall clock does not move them.
/// </remarks>
public sealed class Metronome
{
    private readonly TimeProvider _time;
    private readonly long _halfBeat;
    private readonly Lock _lock = new();
    private readonly List<Waiter> _waiting = [];
    private ITimer? _timer;
    /// <summary>On the system clock, the thread that beats (see <see cref="StartBeating"/>), and whether it is beating or parked.</summary>
    private Thread? _beatThread;
    private bool _threadBeating;
    private readonly object _parking = new();
    private int _unparks;

    public Metronome(TimeProvider time, TimeSpan beat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(beat, TimeSpan.Zero);
        _time = time;
        Beat = beat;
        _halfBeat = (long)(beat.TotalSeconds / 2 * time.TimestampFrequency);
    }

    /// <summary>The time between beats.</summary>
    public TimeSpan Beat { get; }

    /// <summary>Waits for about <paramref name="interval"/>: until the beat nearest to then, at least until the next one.</summary>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is cancelled first.</exception>
    public Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        long due = _time.GetTimestamp() + (long)(Math.Max(0, interval.TotalSeconds) * _time.TimestampFrequency);
        var waiter = new Waiter(due);
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the waiter is listed, so a release always finds the registration to remove: a wait on a
            // token that lives as long as the agent must not leave one behind per beat.
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (metronome, w) = ((Metronome, Waiter))state!;
                metronome.Remove(w);
                // Its continuation runs on the pool: inline it would run inside Cancel(), under whatever the canceller holds.
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.Waiter.TrySetCanceled(s.Token), (Waiter: w, Token: token), preferLocal: false);
            }, (this, waiter));
        }
        lock (_lock)
        {
            if (!waiter.Task.IsCompleted)
            {
                _waiting.Add(waiter);
                StartBeating();
            }
        }
        return waiter.Task;
    }

    /// <summary>How many waits are listed now (for tests: a cancelled wait must not stay).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Whether the timer runs; it stops at a beat that finds nobody waiting, so an agent with nothing to look at is not woken.</summary>
    public bool IsBeating
    {
        get
        {
            lock (_lock)
            {
                return _timer is not null || _threadBeating;
            }
        }
    }

    /// <summary>
    /// Starts the beat if it is stopped; under the lock. On the system clock a thread of its own beats: it sleeps a beat and
    /// runs the waits that are due. A .NET timer of a period under a third of a second cost more than its beats: the runtime's
    /// timer queue keeps a timer due beyond its next 333 ms mark on a second list, which it looks at on a wake of its own at
    /// that mark, so the beat's timer, moving between the lists as the mark moved, added a wake of the timer thread and of a
    /// pool worker three times a second to the two of each beat (strace of the agent's timer thread: a series of wakes a
    /// third of a second apart besides the beats). The thread wakes once a beat, and the waits run on it.
    /// Any other clock (a test's) beats with a timer of its own.
    /// </summary>
    private void StartBeating()
    {
        if (_time != TimeProvider.System)
        {
            _timer ??= _time.CreateTimer(static state => ((Metronome)state!).OnBeat(), this, Beat, Beat);
            return;
        }
        if (_threadBeating)
        {
            return;
        }
        _threadBeating = true;
        if (_beatThread is null)
        {
            _beatThread = new Thread(BeatLoop) { IsBackground = true, Name = "Agent beat" };
            _beatThread.Start();
        }
        else
        {
            lock (_parking)
            {
                _unparks++;
                Monitor.Pulse(_parking);
            }
        }
    }

    private void BeatLoop()
    {
        while (true)
        {
            Thread.Sleep(Beat);
            try
            {
                OnBeat();
            }
            catch (Exception e)
            {
                // A wait's continuation does not throw into its completer; should anything else, the beat must go on.
                System.Diagnostics.Trace.TraceError($"The agent's beat: {e}");
            }
            bool parked;
            lock (_lock)
            {
                parked = !_threadBeating;
            }
            if (parked)
            {
                lock (_parking)
                {
                    while (_unparks == 0)
                    {
                        Monitor.Wait(_parking); // until a wait is listed again
                    }
                    _unparks--;
                }
            }
        }
    }

    private void Remove(Waiter waiter)
    {
        lock (_lock)
        {
            _waiting.Remove(waiter);
        }
    }

    private void OnBeat()
    {
        long now = _time.GetTimestamp();
        List<Waiter>? due = null;
        lock (_lock)
        {
            if (_waiting.Count == 0)
            {
                _timer?.Dispose();
                _timer = null;
                _threadBeating = false;
                return;
            }
            for (int i = _waiting.Count - 1; i >= 0; i--)
            {
                if (_waiting[i].Due - now <= _halfBeat)
                {
                    (due ??= []).Add(_waiting[i]);
                    _waiting.RemoveAt(i);
                }
            }
        }
        if (due is null)
        {
            return;
        }
        foreach (Waiter waiter in due)
        {
            waiter.Registration.Unregister();
            waiter.TrySetResult(); // its continuation runs here, up to its next await
        }
    }

    /// <summary>Completed by a beat with its continuations inline (see the remarks); cancelled on the pool.</summary>
    private sealed class Waiter(long due) : TaskCompletionSource
    {
        public long Due { get; } = due;
        public CancellationTokenRegistration Registration { get; set; }
    }
}
