using Cctv.EdgeRecorder.Pipeline;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class RunFilesTests : IDisposable
{
    private readonly TempDir _dir = new("run-files");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 2, 3, 10, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private string Segment(long seq) => _dir.Combine($"seg_{seq:D6}.mp4");

    private void Write(params long[] sequences)
    {
        foreach (long seq in sequences)
        {
            File.WriteAllBytes(Segment(seq), [1, 2, 3]);
        }
    }

    [Fact]
    public void APass_LooksAheadForTheNextNumbers_AndDropsWhatCleanupRemovedAtTheBottom()
    {
        Write(0, 1, 2);
        File.WriteAllText(_dir.Combine("segments.csv"), "");
        var files = new RunFiles(_dir.Path, _clock);

        Assert.True(files.Refresh()); // the first pass lists the directory
        Assert.Equal([0L, 1L, 2L], files.Files.Keys.Order());
        Assert.Equal((0L, 3L), (files.Oldest, files.Next));

        Write(3, 4);
        File.Delete(Segment(0));
        File.Delete(Segment(1));
        Assert.False(files.Refresh());
        Assert.Equal([2L, 3L, 4L], files.Files.Keys.Order());
        Assert.Equal((2L, 5L), (files.Oldest, files.Next));
        Assert.Equal(Segment(4), files.Files[4]);

        File.Delete(Segment(2));
        File.Delete(Segment(3));
        File.Delete(Segment(4));
        Assert.False(files.Refresh());
        Assert.Empty(files.Files);
        Assert.Equal((5L, 5L), (files.Oldest, files.Next));
    }

    [Fact]
    public void ANumberSkipped_IsNotSeenByLookingAhead_ButByTheWholeListingAMinuteLater()
    {
        Write(0, 1);
        var files = new RunFiles(_dir.Path, _clock);
        Assert.True(files.Refresh());

        Write(3, 4); // 2 never written: looking ahead stops at it
        Assert.False(files.Refresh());
        Assert.Equal([0L, 1L], files.Files.Keys.Order());

        _clock.Advance(RunFiles.FullListingInterval);
        Assert.True(files.Refresh());
        Assert.Equal([0L, 1L, 3L, 4L], files.Files.Keys.Order());
        Assert.Equal(5L, files.Next);

        Write(5);
        Assert.False(files.Refresh());
        Assert.Equal(6L, files.Next);
    }

    [Fact]
    public void ARunWithNoDirectoryYet_HasNoFiles_AndFindsTheFirstWhenItAppears()
    {
        var files = new RunFiles(_dir.Combine("not-yet"), _clock);
        Assert.True(files.Refresh());
        Assert.Empty(files.Files);

        Directory.CreateDirectory(_dir.Combine("not-yet"));
        File.WriteAllBytes(Path.Combine(_dir.Combine("not-yet"), "seg_000000.mp4"), [1]);
        Assert.False(files.Refresh());
        Assert.Equal([0L], files.Files.Keys);
    }

    [Fact]
    public void WithTheSpoolWatched_APassLooksAheadWhenTheWatcherHeardOfANewFile_OrAfterTheSafetyLook()
    {
        var arrivals = new SegmentArrivals();
        arrivals.WatcherStarted(); // notices given by hand: the test says when one comes
        Write(0);
        var files = new RunFiles(_dir.Path, _clock, arrivals);
        Assert.True(files.Refresh());

        Write(1); // no notice yet
        Assert.False(files.Refresh());
        Assert.Equal(1L, files.Next);

        arrivals.Arrived(Segment(1));
        Assert.False(files.Refresh());
        Assert.Equal(2L, files.Next);

        Write(2); // a notice the kernel dropped: found by the safety look
        _clock.Advance(SegmentArrivals.SafetyLook - TimeSpan.FromMilliseconds(1));
        files.Refresh();
        Assert.Equal(2L, files.Next);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        files.Refresh();
        Assert.Equal(3L, files.Next);
    }
}
