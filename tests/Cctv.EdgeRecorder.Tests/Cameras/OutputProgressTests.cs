using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Cameras;

/// <summary>The check a recording run makes once a second: how long FFmpeg's output has not grown (a stall ends the run).</summary>
public sealed class OutputProgressTests : IDisposable
{
    private readonly TempDir _run = new("progress");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 3, 3, 10, 0, TimeSpan.Zero));

    public void Dispose() => _run.Dispose();

    private string Segment(long seq) => FfmpegArguments.SegmentFile(_run.Path, seq);

    private void Grow(long seq, int bytes)
    {
        using var file = new FileStream(Segment(seq), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file.Write(new byte[bytes]);
    }

    [Fact]
    public void ANewSegmentTheWatcherMissed_IsFoundOnceTheOldOneStopsGrowing_SoNoStallIsDeclared()
    {
        var arrivals = new SegmentArrivals();
        arrivals.WatcherStarted(); // watched, and this test gives no notice at all: as if the kernel dropped them
        var progress = new CameraSupervisor.OutputProgress(_run.Path, _clock, arrivals);
        Grow(0, 1000);
        Assert.Equal(TimeSpan.Zero, progress.Check());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Grow(0, 1000);
        Assert.Equal(TimeSpan.Zero, progress.Check()); // grew: the next file is not asked for

        for (int second = 0; second < 30; second++) // FFmpeg left segment 0 for segment 1, which grows every second
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Grow(1, 1000);
            Assert.True(progress.Check() <= TimeSpan.FromSeconds(1), $"at second {second} the run looked stalled: segment 1 went unseen");
        }
    }

    [Fact]
    public void AGrowingSegment_IsLeftForTheNextOne_WhenTheWatcherTellsOfIt()
    {
        var arrivals = new SegmentArrivals();
        arrivals.WatcherStarted();
        var progress = new CameraSupervisor.OutputProgress(_run.Path, _clock, arrivals);
        Grow(0, 1000);
        progress.Check();
        Grow(1, 1000);
        arrivals.Arrived(Segment(1));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Grow(0, 1000); // still growing (a last fragment), yet segment 1 is there: the notice makes the check look
        progress.Check();
        for (int second = 0; second < 5; second++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Grow(1, 1000);
            Assert.Equal(TimeSpan.Zero, progress.Check());
        }
    }

    [Fact]
    public void ARunThatWritesNothing_Stalls()
    {
        var progress = new CameraSupervisor.OutputProgress(_run.Path, _clock, new SegmentArrivals());
        Grow(0, 1000);
        progress.Check();
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(20), progress.Check());
        Assert.True(progress.Any);
    }
}
