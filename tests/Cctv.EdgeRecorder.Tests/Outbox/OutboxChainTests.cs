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

    [Fact]
    public void AppendChain_LooksOnlyAboveWhatItSaw_YetChainsEveryRowOnce_WithAnotherWriter_AndRowsRenumberedBelow_ByItsHourlyWholeLook()
    {
        var clock = new ManualClock(T0);
        var outbox = new OutboxStore(DbPath, clock);
        var other = new OutboxStore(DbPath, clock); // another process of the same recorder (a manual sync)
        for (int seq = 0; seq < 3; seq++)
        {
            outbox.InsertSealed(Row("rec-a", 1, seq, T0.AddSeconds(4 * seq)));
        }
        Assert.Equal(3, outbox.AppendChain("rec-a"));
        other.InsertSealed(Row("rec-a", 1, 3, T0.AddSeconds(12)));
        other.InsertSealed(Row("rec-a", 1, 4, T0.AddSeconds(16)));
        Assert.Equal(2, other.AppendChain("rec-a"));
        outbox.InsertSealed(Row("rec-a", 1, 5, T0.AddSeconds(20)));
        Assert.Equal(1, outbox.AppendChain("rec-a"));

        // A row below every rowid this store saw (as a VACUUM by another tool may renumber them): missed by the quick look,
        // chained by the whole one an hour on.
        outbox.InsertSealed(Row("rec-a", 1, 6, T0.AddSeconds(24)));
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var renumber = c.CreateCommand();
            renumber.CommandText = $"UPDATE segments SET rowid = -1 WHERE id = '{RecordingId.For("rec-a", "cam1", 1, 6)}'";
            Assert.Equal(1, renumber.ExecuteNonQuery());
        }
        Assert.Equal(0, outbox.AppendChain("rec-a"));
        clock.Advance(OutboxStore.ChainWholeLookInterval);
        Assert.Equal(1, outbox.AppendChain("rec-a"));

        Assert.Equal(6, outbox.ChainHead(Cam)!.Index);
        Assert.Equal(Enumerable.Range(0, 7).Select(seq => RecordingId.For("rec-a", "cam1", 1, seq)), outbox.ChainEntries(Cam, 0, 6).Select(e => e.RecordingId));
        Assert.True(Verify(outbox, Cam).IsIntact);
    }

    [Fact]
    public void CamerasWithUnsignedEntries_NamesEachOfThisRecordersCamerasOnce_InOrder_AndNoOtherRecorders()
    {
        var outbox = new OutboxStore(DbPath, TimeProvider.System);
        foreach (string camera in (string[])["cam2", "cam10", "cam1"])
        {
            outbox.InsertSealed(Row("rec-a", 1, 0, T0, camera));
            outbox.InsertSealed(Row("rec-a", 1, 1, T0.AddSeconds(4), camera));
        }
        outbox.InsertSealed(Row("rec-b", 1, 0, T0, "cam3"));
        Assert.Empty(outbox.CamerasWithUnsignedEntries("rec-a"));

        outbox.AppendChain("rec-a");
        outbox.AppendChain("rec-b");

        Assert.Equal(["cam1", "cam10", "cam2"], outbox.CamerasWithUnsignedEntries("rec-a"));
        Assert.Equal(["cam3"], outbox.CamerasWithUnsignedEntries("rec-b"));
        Assert.Empty(outbox.CamerasWithUnsignedEntries("rec-c"));
    }
}
