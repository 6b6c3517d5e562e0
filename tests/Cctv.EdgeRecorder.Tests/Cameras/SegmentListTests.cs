using Cctv.EdgeRecorder.Cameras;

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
}
