using Cctv.EdgeRecorder.Pipeline;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class SegmentArrivalsTests
{
    [Fact]
    public void AMark_ChangesWithAnArrivalInItsDirectory_NotInAnother_AndEverywhereOnALoss()
    {
        var arrivals = new SegmentArrivals();
        arrivals.WatcherStarted();
        string cam1 = Path.Combine("spool", "cam1", "000001"), cam2 = Path.Combine("spool", "cam2", "000001");
        SegmentArrivals.Mark before1 = arrivals.MarkOf(cam1), before2 = arrivals.MarkOf(cam2);
        Assert.Equal(before1, arrivals.MarkOf(cam1)); // nothing happened: the same mark

        arrivals.Arrived(Path.Combine(cam1, "seg_000001.mp4"));
        Assert.NotEqual(before1, arrivals.MarkOf(cam1));
        Assert.Equal(before2, arrivals.MarkOf(cam2)); // the other camera's directory had nothing

        SegmentArrivals.Mark after1 = arrivals.MarkOf(cam1);
        arrivals.Lost();
        Assert.NotEqual(after1, arrivals.MarkOf(cam1));
        Assert.NotEqual(before2, arrivals.MarkOf(cam2));
    }

    [Fact]
    public void Unwatched_EveryMarkIsNew_AndAStoppedWatcherLeavesNoMarkStanding()
    {
        var arrivals = new SegmentArrivals();
        string dir = Path.Combine("spool", "cam1", "000001");
        Assert.False(arrivals.Watching);
        Assert.NotEqual(arrivals.MarkOf(dir), arrivals.MarkOf(dir));

        arrivals.WatcherStarted();
        SegmentArrivals.Mark watched = arrivals.MarkOf(dir);
        arrivals.WatcherStopped(); // notices stop coming: what a reader remembers no longer holds
        Assert.NotEqual(watched, arrivals.MarkOf(dir));
    }

    [Fact]
    public async Task TheSpoolWatcher_TellsTheDirectoryOfEachNewSegmentFile()
    {
        using var spool = new TempDir("arrivals");
        string dir = Path.Combine(spool.Path, "cam1", "000001");
        Directory.CreateDirectory(dir);
        var arrivals = new SegmentArrivals();
        var changed = new PipelineSignal();
        using (new SegmentWatcher(spool.Path, changed, arrivals))
        {
            Assert.True(arrivals.Watching);
            SegmentArrivals.Mark before = arrivals.MarkOf(dir);
            await File.WriteAllBytesAsync(Path.Combine(dir, "seg_000000.mp4"), [1, 2, 3]);
            DateTime until = DateTime.UtcNow.AddSeconds(10);
            while (arrivals.MarkOf(dir) == before && DateTime.UtcNow < until)
            {
                await Task.Delay(20);
            }
            Assert.NotEqual(before, arrivals.MarkOf(dir));
        }
        Assert.False(arrivals.Watching);
    }
}
