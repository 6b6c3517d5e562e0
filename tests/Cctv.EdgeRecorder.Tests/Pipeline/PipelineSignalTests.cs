using System.Diagnostics;
using Cctv.EdgeRecorder.Pipeline;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>The pipeline's wake-up: a set is never lost, a wait ends at the first set or at its deadline.</summary>
public sealed class PipelineSignalTests
{
    [Fact]
    public async Task ASetWhileNobodyWaits_EndsTheNextWaitAtOnce_AndIsConsumedOnce()
    {
        var signal = new PipelineSignal();
        signal.Set();
        signal.Set();

        Assert.True(await PipelineSignal.WaitAnyAsync(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None, signal));
        Assert.True(signal.Consume());
        Assert.False(signal.Consume());
    }

    [Fact]
    public async Task AWait_EndsAtTheFirstSetOfAnySignal_LongBeforeItsDeadline()
    {
        var segments = new PipelineSignal();
        var uploads = new PipelineSignal();
        var clock = Stopwatch.StartNew();
        Task<bool> wait = PipelineSignal.WaitAnyAsync(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None, segments, uploads);
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);

        uploads.Set();

        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.False(segments.Consume());
        Assert.True(uploads.Consume());
    }

    [Fact]
    public async Task AWaitWithNoSet_EndsAtItsDeadline_AndSaysSo()
    {
        var signal = new PipelineSignal();

        Assert.False(await PipelineSignal.WaitAnyAsync(TimeSpan.FromMilliseconds(50), TimeProvider.System, CancellationToken.None, signal));
        Assert.False(await PipelineSignal.WaitAnyAsync(TimeSpan.FromMilliseconds(-5), TimeProvider.System, CancellationToken.None, signal));
    }

    [Fact]
    public async Task AWait_IsCancelledByItsToken()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => PipelineSignal.WaitAnyAsync(TimeSpan.FromMinutes(1), TimeProvider.System, stop.Token, new PipelineSignal()));
    }
}
