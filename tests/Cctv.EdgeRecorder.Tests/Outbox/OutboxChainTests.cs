using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Outbox;

/// <summary>Each camera's evidence chain in the outbox: every sealed segment and closed gap chained once, in order, whatever crashed in between.</summary>
public sealed class OutboxChainTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly CameraKey Cam = new("rec-a", "cam1");
    private readonly TempDir _dir = new("chain");

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "outbox.db");

    private static OutboxSegment Row(string recorderId, long run, long seq, DateTimeOffset start, string camera = "cam1") =>
        OutboxRows.Sealed(recorderId, camera, run, seq, $"/spool/{camera}/{run}/{seq}.mp4", start, start.AddSeconds(4),
            new SegmentDigest(1000 + seq, new string((char)('a' + (seq % 6)), 64), 0), start);

    private static ChainReport Verify(OutboxStore outbox, CameraKey camera)
    {
        ChainEntry head = outbox.ChainHead(camera)!;
        return ChainVerifier.Verify(new ChainEvidence(camera, [], outbox.ChainEntries(camera, 0, head.Index).Select(e => e.Bytes).ToList(), []));
    }

    [Fact]
    public void AppendChain_GapClosedByTheNextRun_ComesBetweenTheRuns_AndAnOpenGapWaits()
    {
        var outbox = new OutboxStore(DbPath, TimeProvider.System);
        outbox.InsertSealed(Row("rec-a", 1, 0, T0));
        outbox.InsertSealed(Row("rec-a", 1, 1, T0.AddSeconds(4)));
        var gap = new RecordingGap(RecordingId.For("rec-a", "cam1", 1, -1), "rec-a", "cam1", T0.AddSeconds(8), null, "camera offline");
        outbox.UpsertGap(gap);

        Assert.Equal(2, outbox.AppendChain("rec-a")); // the open gap is not evidence yet: its end is unknown

        outbox.UpsertGap(gap with { EndTime = T0.AddSeconds(40) });
        outbox.InsertSealed(Row("rec-a", 2, 0, T0.AddSeconds(40)));
        Assert.Equal(2, outbox.AppendChain("rec-a"));

        IReadOnlyList<ChainEntry> chain = outbox.ChainEntries(Cam, 0, 10);
        Assert.Equal([ChainEntryKind.Segment, ChainEntryKind.Segment, ChainEntryKind.Gap, ChainEntryKind.Segment], chain.Select(e => e.Kind));
        Assert.Equal(("camera offline", T0.AddSeconds(8), T0.AddSeconds(40)), (chain[2].Reason, chain[2].Start, chain[2].End));
        Assert.Equal(RecordingId.For("rec-a", "cam1", 2, 0), chain[3].RecordingId);
        ChainReport report = Verify(outbox, Cam);
        Assert.True(report.IsIntact, string.Join("\n", report.Breaks));
    }

    [Fact]
    public void AppendChain_AfterACrashBetweenTheRowAndItsEntry_ChainsEachSegmentOnce()
    {
        var before = new OutboxStore(DbPath, TimeProvider.System);
        before.InsertSealed(Row("rec-a", 1, 0, T0));
        before.AppendChain("rec-a");
        before.InsertSealed(Row("rec-a", 1, 1, T0.AddSeconds(4))); // committed, then the process died before chaining it

        var after = new OutboxStore(DbPath, TimeProvider.System);
        Assert.Equal(1, after.AppendChain("rec-a"));
        Assert.Equal(0, after.AppendChain("rec-a"));

        Assert.Equal(1, after.ChainHead(Cam)!.Index);
        Assert.True(Verify(after, Cam).IsIntact);
    }

    [Fact]
    public void AppendChain_KeepsEachCameraAndRecorderIdApart()
    {
        var outbox = new OutboxStore(DbPath, TimeProvider.System);
        outbox.InsertSealed(Row("rec-a", 1, 0, T0));
        outbox.InsertSealed(Row("rec-a", 1, 0, T0, camera: "cam2"));
        outbox.InsertSealed(Row("rec-b", 1, 1, T0.AddSeconds(4))); // sealed while this data directory was rec-b's

        Assert.Equal(2, outbox.AppendChain("rec-a"));

        Assert.Equal(0, outbox.ChainHead(Cam)!.Index);
        Assert.Equal(0, outbox.ChainHead(new CameraKey("rec-a", "cam2"))!.Index);
        Assert.Null(outbox.ChainHead(new CameraKey("rec-b", "cam1")));
        Assert.Equal(1, outbox.AppendChain("rec-b"));
        Assert.Equal("rec-b", outbox.ChainHead(new CameraKey("rec-b", "cam1"))!.RecorderId);
    }
}
