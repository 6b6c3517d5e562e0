using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Sqlite;
using Cctv.TestSupport;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Tests.Outbox;

public sealed class OutboxStoreTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");
    private readonly LocalBackend _backend;

    public OutboxStoreTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    private PipelineRig Rig() => new(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);

    [Fact]
    public void StateChanges_AreCompareAndSetOnTheExpectedState_ALostRaceChangesNothing()
    {
        using PipelineRig rig = Rig();
        OutboxSegment s = rig.Seal(1000);

        Assert.False(rig.Outbox.MarkUploaded(s.Id, 7)); // not claimed: no upload can have finished
        rig.Claim(s);
        Assert.False(rig.Outbox.MarkLost(s.Id, "disk full", [EdgeState.Sealed, EdgeState.Failed])); // what the budget saw is stale
        Assert.Equal(EdgeState.Uploading, rig.Outbox.Get(s.Id)!.State);
        Assert.True(rig.Outbox.MarkUploaded(s.Id, 7));
        Assert.False(rig.Outbox.MarkUploaded(s.Id, 8));
        Assert.False(rig.Outbox.MarkFailed(s.Id, "late failure", DateTimeOffset.UtcNow));
        Assert.False(rig.Outbox.MarkEvicted(s.Id));
        Assert.False(rig.Outbox.RequeueForUpload(s.Id, EdgeState.Uploading, "late shutdown"));
        Assert.True(rig.Outbox.MarkVerified(s.Id));
        Assert.False(rig.Outbox.MarkLost(s.Id, "catalog says lost", [EdgeState.Uploaded]));

        OutboxSegment row = rig.Outbox.Get(s.Id)!;
        Assert.Equal((EdgeState.Verified, (long?)7, (string?)null, 0), (row.State, row.Generation, row.LastError, row.Attempts));
    }

    [Fact]
    public void ForcedRequeue_TakesOnlyRowsWhoseFileExists_AndNeverExpiredOnes()
    {
        using PipelineRig rig = Rig();
        OutboxSegment withFile = rig.Seal(1000), fileGone = rig.Seal(1000), verifiedGone = rig.Seal(1000), expired = rig.Seal(1000);
        foreach (OutboxSegment s in new[] { withFile, fileGone, verifiedGone, expired })
        {
            rig.Uploaded(s, 5);
        }
        Assert.True(rig.Outbox.MarkVerified(verifiedGone.Id));
        Assert.True(rig.Outbox.MarkExpired(expired.Id, "retention"));
        File.Delete(fileGone.Path);
        File.Delete(verifiedGone.Path);

        Assert.Equal(1, rig.Outbox.RequeueUploaded(null));

        Assert.Equal(EdgeState.Sealed, rig.Outbox.Get(withFile.Id)!.State);
        Assert.Equal(EdgeState.Uploaded, rig.Outbox.Get(fileGone.Id)!.State);
        Assert.Equal(EdgeState.Verified, rig.Outbox.Get(verifiedGone.Id)!.State);
        Assert.Equal(EdgeState.Expired, rig.Outbox.Get(expired.Id)!.State);
        Assert.Empty(rig.Outbox.ListByState(EdgeState.Lost, 10));
    }
    [Fact]
    public void AnOutboxWhoseMd5WasRequired_IsMigratedInPlace_KeepsOldRowsMd5_AndTakesSegmentsWithout()
    {
        string path = _cloud.Combine("old-outbox.db");
        _ = new SqliteDatabase(path, """
            CREATE TABLE segments (
                id TEXT PRIMARY KEY, camera_id TEXT NOT NULL, run INTEGER NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL,
                start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, crc32c TEXT NOT NULL,
                md5 TEXT NOT NULL, object_name TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                next_attempt_ms INTEGER, session_uri TEXT, generation INTEGER, announced INTEGER NOT NULL DEFAULT 0,
                created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, UNIQUE (camera_id, run, seq));
            CREATE INDEX segments_by_state ON segments (state, start_ms);
            INSERT INTO segments (id, camera_id, run, seq, path, start_ms, end_ms, size, sha256, crc32c, md5, object_name, state, created_ms, updated_ms)
                VALUES ('old', 'cam1', 1, 0, '/x/0.mp4', 0, 2000, 10, 'aa', 'AAAAAA==', 'XUFAKrxLKna5cZ2REBfFkg==', 'incoming/old', 'sealed', 0, 0);
            """);

        var outbox = new OutboxStore(path, TimeProvider.System);
        _ = new OutboxStore(path, TimeProvider.System); // opening it again changes nothing
        var sealedNow = new OutboxSegment("new", "cam1", 1, 1, "/x/1.mp4", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(2), 10, "bb",
            "AAAAAA==", null, "incoming/new", EdgeState.Sealed, 0, null, null, null, false, DateTimeOffset.UnixEpoch);

        Assert.True(outbox.InsertSealed(sealedNow));
        Assert.Equal("XUFAKrxLKna5cZ2REBfFkg==", outbox.Get("old")!.Md5);
        Assert.Null(outbox.Get("new")!.Md5);
        Assert.Equal(["new", "old"], outbox.ClaimDue(2, null).Select(s => s.Id).Order()); // both can be claimed for upload
    }

    [Fact]
    public void ConfirmingALiveTail_SkipsTheFsync_ButEveryPooledConnectionIsBackToSynchronousFull()
    {
        using PipelineRig rig = Rig();
        rig.Outbox.InsertLiveTail(new LiveTailRow("rec-1", "cam1", rig.Run.Run, 0, "/spool/seg_000000.mp4", "staging/rec-1.mp4",
            new Uri("cctv-local://append-session/ab"), 0, DateTimeOffset.UtcNow, null, LiveTailState.Tailing));

        rig.Outbox.ConfirmLiveTail("rec-1", 4096, DateTimeOffset.UtcNow);

        Assert.Equal(4096, rig.Outbox.GetLiveTail("rec-1")!.ConfirmedBytes);
        // Every idle connection of the outbox's pool (the one the confirmation used among them) commits with an fsync again:
        // segments, runs and the chain depend on it.
        var database = new SqliteDatabase(rig.Context.Paths.Outbox, "SELECT 1;");
        var open = new List<SqliteConnection>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                SqliteConnection c = database.Open();
                open.Add(c);
                using SqliteCommand q = c.Command("PRAGMA synchronous");
                Assert.Equal(2L, q.ExecuteScalar()); // FULL
            }
        }
        finally
        {
            open.Reverse();
            open.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void OpenRuns_SeesThisProcessStartAndEndRunsAtOnce_AndAnotherWritersChangeWithinItsMaxAge()
    {
        var time = new SteppableClock();
        using PipelineRig rig = new(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog, time: time);
        CameraRun first = rig.Run;
        Assert.Equal([(first.CameraId, first.Run)], rig.Outbox.OpenRuns().Select(r => (r.CameraId, r.Run)));

        CameraRun second = rig.Outbox.StartRun("cam2");
        Assert.Equal(2, rig.Outbox.OpenRuns().Count); // no waiting for the cache: this process started it
        rig.Outbox.EndRun(first.CameraId, first.Run, "camera removed");
        Assert.Equal([("cam2", second.Run)], rig.Outbox.OpenRuns().Select(r => (r.CameraId, r.Run)));
        rig.Outbox.EndOpenRuns("recorder stopped");
        Assert.Empty(rig.Outbox.OpenRuns());

        // A run another process wrote (through its own connection) shows once the cached read is older than the max age.
        using (SqliteConnection c = new SqliteDatabase(rig.Context.Paths.Outbox, "SELECT 1;").Open())
        using (SqliteCommand insert = c.Command("INSERT INTO runs (camera_id, run, started_ms, sealed) VALUES ('cam3', 1, 0, 0)"))
        {
            insert.ExecuteNonQuery();
        }
        Assert.Empty(rig.Outbox.OpenRuns());
        time.Step(OutboxStore.OpenRunsMaxAge);
        Assert.Equal(["cam3"], rig.Outbox.OpenRuns().Select(r => r.CameraId));
    }

    [Fact]
    public void UnsealedRuns_SeesEveryChangeThisProcessMakesAtOnce_AndAnotherWritersWithinTheMaxAge()
    {
        // The sealer asks on every pass; what it reads of a run (its anchor, its end) must never be older than this
        // process's own last change to it.
        var time = new SteppableClock();
        using PipelineRig rig = new(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog, time: time);
        CameraRun first = rig.Run;
        Assert.Null(Assert.Single(rig.Outbox.UnsealedRuns()).AnchorMs);

        rig.Outbox.SetAnchor(first.CameraId, first.Run, 1234);
        Assert.Equal(1234, Assert.Single(rig.Outbox.UnsealedRuns()).AnchorMs);
        rig.Outbox.EndRun(first.CameraId, first.Run, "camera removed");
        Assert.NotNull(Assert.Single(rig.Outbox.UnsealedRuns()).EndedAt);
        rig.Outbox.MarkRunSealed(first.CameraId, first.Run);
        Assert.Empty(rig.Outbox.UnsealedRuns());
        rig.Outbox.ReopenRun(first.CameraId, first.Run);
        Assert.Single(rig.Outbox.UnsealedRuns());
        rig.Outbox.AdoptRun("cam9", 7, time.GetUtcNow(), "found in the spool");
        Assert.Equal(2, rig.Outbox.UnsealedRuns().Count);

        using (SqliteConnection c = new SqliteDatabase(rig.Context.Paths.Outbox, "SELECT 1;").Open())
        using (SqliteCommand insert = c.Command("INSERT INTO runs (camera_id, run, started_ms, sealed) VALUES ('cam3', 1, 0, 0)"))
        {
            insert.ExecuteNonQuery();
        }
        Assert.Equal(2, rig.Outbox.UnsealedRuns().Count);
        time.Step(OutboxStore.OpenRunsMaxAge);
        Assert.Equal(3, rig.Outbox.UnsealedRuns().Count);
    }

    [Fact]
    public void IsStillTailed_OnlyWhileTheSegmentHasALiveTailAndIsNotSealed()
    {
        using PipelineRig rig = Rig();
        OutboxSegment sealedOne = rig.Seal(1000);
        foreach (string id in (string[])["open-1", sealedOne.Id])
        {
            rig.Outbox.InsertLiveTail(new LiveTailRow(id, "cam1", rig.Run.Run, 0, "/spool/seg.mp4", $"staging/{id}.mp4",
                new Uri("cctv-local://append-session/" + id.Length), 0, DateTimeOffset.UtcNow, null, LiveTailState.Tailing));
        }

        Assert.True(rig.Outbox.IsStillTailed("open-1"));
        Assert.False(rig.Outbox.IsStillTailed(sealedOne.Id)); // sealed meanwhile: the uploader finishes its session
        Assert.False(rig.Outbox.IsStillTailed("never-tailed"));
        rig.Outbox.RemoveLiveTail("open-1");
        Assert.False(rig.Outbox.IsStillTailed("open-1"));
    }
}
