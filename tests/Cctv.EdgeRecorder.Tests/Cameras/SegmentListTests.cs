using Cctv.EdgeRecorder.Cameras;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Cameras;

public sealed class SegmentListTests
{
    // Recorded from FFmpeg 5.1 (-segment_list_type csv) recording an RTSP source whose publisher was stopped.
    private const string Recorded = "seg_000000.mp4,0.000000,2.866667\nseg_000001.mp4,2.866667,4.866667\nseg_000002.mp4,4.866667,6.866667\n";

    [Fact]
    public void Parse_RecordedOutput_GivesSequenceAndTimes()
    {
        IReadOnlyList<SegmentListEntry> entries = SegmentList.Parse(Recorded);
        Assert.Equal([0L, 1L, 2L], entries.Select(e => e.Sequence));
        Assert.Equal(2.866667, entries[1].Start, 6);
        Assert.Equal(4.866667, entries[1].End, 6);
    }

    [Fact]
    public void Parse_IgnoresALineStillBeingWritten()
    {
        IReadOnlyList<SegmentListEntry> entries = SegmentList.Parse(Recorded + "seg_000003.mp4,6.86");
        Assert.Equal(3, entries.Count);
    }

    [Theory]
    [InlineData("seg_000042.mp4", true, 42)]
    [InlineData("seg_.mp4", false, -1)]
    [InlineData("seg_00004x.mp4", false, -1)]
    [InlineData("other_000001.mp4", false, -1)]
    public void TryParseSequence_AcceptsOnlyOurNames(string name, bool ok, long seq)
    {
        Assert.Equal(ok, SegmentList.TryParseSequence(name, out long parsed));
        if (ok)
        {
            Assert.Equal(seq, parsed);
        }
    }

    [Fact]
    public void Follower_ReadsOnlyWhatWasAppended_AndALineStillBeingWrittenOnceItIsWhole()
    {
        using var dir = new TempDir("segment-list");
        string list = Path.Combine(dir.Path, FfmpegArguments.SegmentList);
        var follower = new SegmentListFollower(dir.Path);
        Assert.Empty(follower.Read()); // FFmpeg has not written it yet

        File.WriteAllText(list, "seg_000000.mp4,0.000000,2.866667\nseg_000001.mp4,2.866667,4.866667\n");
        Assert.Equal([0L, 1L], follower.Read().Keys.Order());
        File.AppendAllText(list, "seg_000002.mp4,4.86");
        Assert.Equal([0L, 1L], follower.Read().Keys.Order());
        File.AppendAllText(list, "6667,6.866667\nseg_000003.mp4,6.866667,8.866667\n");
        IReadOnlyDictionary<long, SegmentListEntry> entries = follower.Read();

        Assert.Equal([0L, 1L, 2L, 3L], entries.Keys.Order());
        Assert.Equal((4.866667, 6.866667), (entries[2].Start, entries[2].End));
        Assert.Equal(8.866667, entries[3].End, 6);
    }

    [Fact]
    public void Follower_LetsGoOfForgottenEntries_AndReadsAListThatWasReplaced_FromItsStart()
    {
        using var dir = new TempDir("segment-list");
        string list = Path.Combine(dir.Path, FfmpegArguments.SegmentList);
        File.WriteAllText(list, Recorded);
        var follower = new SegmentListFollower(dir.Path);
        follower.Read();

        follower.Forget(2);
        Assert.Equal([2L], follower.Read().Keys);
        File.WriteAllText(list, "seg_000000.mp4,0.000000,1.500000\n");
        IReadOnlyDictionary<long, SegmentListEntry> replaced = follower.Read();

        Assert.Equal([0L], replaced.Keys);
        Assert.Equal(1.5, replaced[0].End, 6);
    }
}
