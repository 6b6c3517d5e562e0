using Cctv.Shared.Gcp.Storage;

namespace Cctv.Shared.Tests.Gcp.Storage;

/// <summary>The bandwidth cap's order: live appends before an ordinary upload's next bite, on a clock the test ticks.</summary>
public sealed class UplinkBudgetTests
{
    [Fact]
    public async Task AQueuedLiveAppend_IsServedBeforeABulkUploadThatWaitedLonger()
    {
        var time = new TickingTime();
        using var budget = new UplinkBudget(10_000, time); // 1000 bytes a tick
        await budget.AcquireAsync(1000, live: false, CancellationToken.None); // the bucket is empty now

        Task bulk = budget.AcquireAsync(1000, live: false, CancellationToken.None).AsTask();
        Task live = budget.AcquireAsync(1000, live: true, CancellationToken.None).AsTask();
        Assert.False(bulk.IsCompleted);
        Assert.False(live.IsCompleted);

        time.Tick();
        await live.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(bulk.IsCompleted, "the bulk upload's bite went before the live append");

        time.Tick();
        await bulk.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ABulkBite_DoesNotOvertakeAWaitingLiveAppend_EvenWhenTokensAreThere()
    {
        var time = new TickingTime();
        using var budget = new UplinkBudget(10_000, time);
        await budget.AcquireAsync(600, live: false, CancellationToken.None);
        Task live = budget.AcquireAsync(1000, live: true, CancellationToken.None).AsTask(); // 400 left: waits

        Task bulk = budget.AcquireAsync(300, live: false, CancellationToken.None).AsTask();

        Assert.False(bulk.IsCompleted, "a bulk bite took tokens while a live append waited for them");
        time.Tick();
        await live.WaitAsync(TimeSpan.FromSeconds(5));
        time.Tick();
        await bulk.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task LiveAppendsLeftWaitingAfterATick_KeepTheRestOfTheBucketFromBulkBites()
    {
        var time = new TickingTime();
        using var budget = new UplinkBudget(10_000, time);
        await budget.AcquireAsync(1000, live: false, CancellationToken.None);
        Task first = budget.AcquireAsync(600, live: true, CancellationToken.None).AsTask();
        Task second = budget.AcquireAsync(600, live: true, CancellationToken.None).AsTask();
        Task bulk = budget.AcquireAsync(300, live: false, CancellationToken.None).AsTask();

        time.Tick(); // 1000 tokens: the first live append takes 600; the 400 left wait for the second, not for the bulk bite

        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(second.IsCompleted);
        Assert.False(bulk.IsCompleted, "a bulk bite took what a waiting live append needs");
        time.Tick();
        await second.WaitAsync(TimeSpan.FromSeconds(5));
        await bulk.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ACancelledWaiter_GivesItsTurnToTheNext()
    {
        var time = new TickingTime();
        using var budget = new UplinkBudget(10_000, time);
        await budget.AcquireAsync(1000, live: false, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        Task gone = budget.AcquireAsync(1000, live: true, cancel.Token).AsTask();
        Task next = budget.AcquireAsync(1000, live: true, CancellationToken.None).AsTask();

        await cancel.CancelAsync();
        time.Tick();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AFullBucketThatNobodyWaitsOn_StopsTicking_AndTheNextBiteStartsItAgain()
    {
        // A recorder with a cap was woken ten times a second for as long as it ran, uploading or not.
        var time = new TickingTime();
        using var budget = new UplinkBudget(10_000, time);
        Assert.False(time.Running); // full from the start

        await budget.AcquireAsync(300, live: false, CancellationToken.None);
        Assert.True(time.Running); // 700 left: it refills
        time.Tick();

        Assert.False(time.Running);
        Assert.False(budget.IsTicking);
        await budget.AcquireAsync(1000, live: true, CancellationToken.None); // full again: served at once
        Assert.True(time.Running);
        Task waiting = budget.AcquireAsync(1000, live: false, CancellationToken.None).AsTask();
        time.Tick();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(time.Running); // empty again after serving it
    }

    /// <summary>A clock whose one timer fires when the test says, and says whether it was started or stopped.</summary>
    private sealed class TickingTime : TimeProvider
    {
        private TimerCallback? _callback;
        private object? _state;

        /// <summary>Whether the timer was last set to fire (rather than stopped).</summary>
        public bool Running { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _callback = callback;
            _state = state;
            Running = dueTime != Timeout.InfiniteTimeSpan;
            return new NoTimer(this);
        }

        public void Tick() => _callback!(_state);

        private sealed class NoTimer(TickingTime time) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                time.Running = dueTime != Timeout.InfiniteTimeSpan;
                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
