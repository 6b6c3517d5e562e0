using System.Runtime.CompilerServices;
using Cctv.EdgeRecorder.Pipeline;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>
/// The agent's shared beat: waits of about the same length, begun at different moments, end on one beat; a wait ends
/// on the beat nearest its due time; nobody waiting, nothing beats; a wait leaves nothing behind on its token.
/// </summary>
public sealed class MetronomeTests
{
    private static readonly TimeSpan Beat = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void WaitsOfAboutOneSecond_BegunAtDifferentMoments_EndOnTheSameBeat()
    {
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        Task camera1 = metronome.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        clock.Pass(TimeSpan.FromMilliseconds(40));
        Task camera2 = metronome.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        clock.Pass(TimeSpan.FromMilliseconds(60));
        Task watcher = metronome.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.Equal(1, clock.TimersCreated); // one timer for all three
        clock.Beat(3); // 0.75 s after the first wait began
        Assert.False(camera1.IsCompleted || camera2.IsCompleted || watcher.IsCompleted);
        clock.Beat(); // 1.0 s: due at 1.0, 1.04 and 1.1 s, all nearer this beat than the next
        Assert.True(camera1.IsCompletedSuccessfully && camera2.IsCompletedSuccessfully && watcher.IsCompletedSuccessfully);
    }

    [Fact]
    public void AWait_EndsOnTheBeatNearestItsDueTime_AndNeverBeforeTheNextBeat()
    {
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        clock.Pass(TimeSpan.FromMilliseconds(200)); // the timer starts with the first wait, so beats fall at 0.2 + k * 0.25 s
        Task nearer = metronome.WaitAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None); // due 0.7 s
        clock.Pass(TimeSpan.FromMilliseconds(140));
        Task later = metronome.WaitAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None); // due 0.84 s
        Task now = metronome.WaitAsync(TimeSpan.Zero, CancellationToken.None);
        Assert.False(now.IsCompleted);

        clock.Beat(); // 0.45 s
        Assert.True(now.IsCompletedSuccessfully);
        Assert.False(nearer.IsCompleted);
        clock.Beat(); // 0.70 s
        Assert.True(nearer.IsCompletedSuccessfully);
        Assert.False(later.IsCompleted); // 0.14 s to go: more than half a beat
        clock.Beat(); // 0.95 s: 0.11 s past it, the nearest beat
        Assert.True(later.IsCompletedSuccessfully);
    }

    [Fact]
    public void WithNobodyWaiting_TheTimerStopsAtTheNextBeat_AndStartsAgainForTheNextWait()
    {
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        Assert.False(metronome.IsBeating);
        Task wait = metronome.WaitAsync(Beat, CancellationToken.None);
        Assert.True(metronome.IsBeating);

        clock.Beat();
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.True(metronome.IsBeating); // a loop that waits again at once finds it running
        clock.Beat(); // nobody waited through this one

        Assert.False(metronome.IsBeating);
        Assert.Equal(0, clock.TimersRunning);
        metronome.WaitAsync(Beat, CancellationToken.None);
        Assert.Equal(1, clock.TimersRunning);
    }

    [Fact]
    public void ALoopThatWaitsAgainAtOnce_KeepsTheOneTimer()
    {
        // Each look of the live tailer ends a wait and begins the next: stopping the timer in between and starting a new one
        // cost the runtime's timer thread a wake per beat.
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        using var stopping = new CancellationTokenSource();
        int looks = 0;
        async Task LookAgainAndAgain()
        {
            while (!stopping.IsCancellationRequested)
            {
                await metronome.WaitAsync(Beat, stopping.Token);
                looks++;
            }
        }
        Task loop = LookAgainAndAgain();

        clock.Beat(8);

        Assert.Equal(8, looks);
        Assert.Equal(1, clock.TimersCreated);
        stopping.Cancel();
    }

    [Fact]
    public void TheWaitsABeatEnds_RunOnTheThreadThatTookIt()
    {
        // One worker woken for every look a beat releases, not one each: at 4 cameras those hand-offs were most of the
        // agent's CPU.
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        var ranOn = new List<int>();
        async Task LookOnce()
        {
            await metronome.WaitAsync(Beat, CancellationToken.None).ConfigureAwait(false); // the agent has no synchronisation context; the test runner has one
            lock (ranOn)
            {
                ranOn.Add(Environment.CurrentManagedThreadId);
            }
        }
        Task[] looks = [LookOnce(), LookOnce(), LookOnce()];

        int beatThread = OnAThreadOfItsOwn(() => clock.Beat(1));

        Assert.True(looks.All(t => t.IsCompletedSuccessfully)); // done by the time the beat returned
        Assert.Equal([beatThread, beatThread, beatThread], ranOn);
    }

    [Fact]
    public async Task ACancelledWait_EndsOnThePool_NotInsideWhoeverCancelled()
    {
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        using var stop = new CancellationTokenSource();
        int ranOn = 0;
        Task look = Look();
        async Task Look()
        {
            try
            {
                await metronome.WaitAsync(TimeSpan.FromMinutes(1), stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ranOn = Environment.CurrentManagedThreadId;
            }
        }

        int cancelThread = OnAThreadOfItsOwn(stop.Cancel);
        await look;

        Assert.NotEqual(0, ranOn);
        Assert.NotEqual(cancelThread, ranOn);
    }

    [Fact]
    public async Task OnTheSystemClock_AThreadOfItsOwnBeats_RunsTheWaits_AndParksWhenNobodyWaits()
    {
        var metronome = new Metronome(TimeProvider.System, TimeSpan.FromMilliseconds(20));
        string? ranOn = null;
        async Task Look()
        {
            await metronome.WaitAsync(TimeSpan.FromMilliseconds(40), CancellationToken.None).ConfigureAwait(false);
            ranOn = Thread.CurrentThread.Name;
        }

        await Look().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("Agent beat", ranOn); // not a .NET timer's callback on a pool worker
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (metronome.IsBeating && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.False(metronome.IsBeating, "the beat went on with nobody waiting");
        await metronome.WaitAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)); // and it starts again
    }

    [Fact]
    public async Task ACancelledWait_IsCancelled_AndNoLongerListed()
    {
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        using var stop = new CancellationTokenSource();
        Task wait = metronome.WaitAsync(TimeSpan.FromMinutes(1), stop.Token);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.Equal(0, metronome.Waiting);
        clock.Beat();
        Assert.False(metronome.IsBeating);
        Assert.True(metronome.WaitAsync(Beat, stop.Token).IsCanceled); // on a cancelled token: at once, nothing listed
        Assert.Equal(0, metronome.Waiting);
    }

    [Fact]
    public void AWaitThatEnded_LeavesNothingOnItsToken()
    {
        // The loops wait on the agent's stopping token, which lives as long as the agent: four waits a second must not
        // each leave a registration (and through it, the wait) on it.
        var clock = new BeatClock();
        var metronome = new Metronome(clock, Beat);
        using var stopping = new CancellationTokenSource();

        WeakReference ended = WaitOneBeat(metronome, clock, stopping.Token);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(ended.IsAlive);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WaitOneBeat(Metronome metronome, BeatClock clock, CancellationToken stopping)
    {
        Task wait = metronome.WaitAsync(Beat, stopping);
        clock.Beat();
        Assert.True(wait.IsCompletedSuccessfully);
        return new WeakReference(wait);
    }

    /// <summary>Runs <paramref name="action"/> on a new thread (never a pool worker) to its end; returns that thread's managed ID.</summary>
    private static int OnAThreadOfItsOwn(Action action)
    {
        int id = 0;
        var thread = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            action();
        });
        thread.Start();
        thread.Join();
        return id;
    }

    /// <summary>A monotonic clock moved by hand, whose timers fire when the test says a beat has come.</summary>
    private sealed class BeatClock : TimeProvider
    {
        private long _ticks;
        private readonly List<ManualTimer> _timers = [];

        public int TimersCreated { get; private set; }
        public int TimersRunning => _timers.Count(t => !t.Disposed);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;

        public void Pass(TimeSpan by) => _ticks += by.Ticks;

        /// <summary>Moves the clock to each running timer's next fire time and fires it, <paramref name="count"/> times.</summary>
        public void Beat(int count = 1)
        {
            for (int i = 0; i < count; i++)
            {
                ManualTimer timer = Assert.Single(_timers, t => !t.Disposed);
                _ticks = timer.NextFire;
                timer.NextFire += timer.Period.Ticks;
                timer.Callback(timer.State);
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            TimersCreated++;
            var timer = new ManualTimer(callback, state, period) { NextFire = _ticks + dueTime.Ticks };
            _timers.Add(timer);
            return timer;
        }

        private sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan period) : ITimer
        {
            public TimerCallback Callback { get; } = callback;
            public object? State { get; } = state;
            public TimeSpan Period { get; } = period;
            public long NextFire { get; set; }
            public bool Disposed { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException("the metronome never changes its timer");
            public void Dispose() => Disposed = true;
            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
