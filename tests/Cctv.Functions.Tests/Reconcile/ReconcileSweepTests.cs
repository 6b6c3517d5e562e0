using Cctv.Functions.Finalize;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Tests.Reconcile;

public sealed class ReconcileSweepTests
{
    private static readonly TimeSpan PastRedrive = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task AnObjectWhoseEventWasLost_IsArchivedByTheSweep_OnceItIsOlderThanTheRedriveDelay()
    {
        using var rig = new SweepRig();
        RecordingAnnouncement a = await rig.RecordAsync("cam1", 0);

        SweepReport early = await rig.RunAsync();
        rig.Clock.Advance(PastRedrive);
        SweepReport late = await rig.RunAsync();

        Assert.Equal(0, early.Redriven.Count); // its event may still be on the way
        Assert.True(late.Complete);
        Assert.Equal(1, late.Redriven.Count);
        Assert.Equal(CloudState.Archived, await rig.StateAsync(a));
        Assert.Empty(await rig.NamesAsync(LocalBackend.StagingBucket));
        Assert.Single(await rig.NamesAsync(LocalBackend.ArchiveBucket));
        Assert.Equal(0, (await rig.RunAsync()).Redriven.Count);
    }

    [Fact]
    public async Task AnObjectStagedBeforeItsAnnouncement_WaitsForIt_ThenIsArchived()
    {
        using var rig = new SweepRig();
        RecordingAnnouncement a = await rig.RecordAsync("cam1", 0, announce: false);
        rig.Clock.Advance(PastRedrive);

        SweepReport waiting = await rig.RunAsync();
        await rig.Catalog.AnnounceAsync(a, CancellationToken.None);
        SweepReport done = await rig.RunAsync();

        Assert.Equal((1L, 0L), (waiting.AwaitingAnnouncement.Count, waiting.Orphans.Count));
        Assert.Equal(1, done.Redriven.Count);
        Assert.Equal(CloudState.Archived, await rig.StateAsync(a));
    }

    [Fact]
    public async Task ObjectsNobodyClaimsPastTheSla_AreReportedAsOrphans_AndLeftInPlace()
    {
        using var rig = new SweepRig();
        RecordingAnnouncement a = await rig.RecordAsync("cam1", 0, announce: false);
        await rig.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, "incoming/r1/notes.txt", "text/plain",
            Shared.Hashing.Crc32C.ToBase64(Shared.Hashing.Crc32C.Compute("hi"u8)), null, 0, new Dictionary<string, string>()), new MemoryStream("hi"u8.ToArray()), CancellationToken.None);
        rig.Clock.Advance(TimeSpan.FromMinutes(31));

        SweepReport report = await rig.RunAsync();

        Assert.Equal(2, report.Orphans.Count);
        string orphans = System.Text.Json.JsonSerializer.Serialize(report.Orphans.Items);
        Assert.Contains("no catalog entry", orphans);
        Assert.Contains("not a recording object", orphans);
        Assert.Equal(2, (await rig.NamesAsync(LocalBackend.StagingBucket)).Count);
        Assert.Null(await rig.StateAsync(a));
    }

    [Fact]
    public async Task RecordingsAnnouncedButNotStagedPastTheSla_AreReported_YoungerOnesAreNot()
    {
        using var rig = new SweepRig();
        RecordingAnnouncement old = await rig.RecordAsync("cam1", 0, upload: false, recorder: "site-a");
        rig.Clock.Advance(TimeSpan.FromMinutes(20));
        await rig.RecordAsync("cam1", 1, upload: false, recorder: "site-a");
        rig.Clock.Advance(TimeSpan.FromMinutes(11));

        SweepReport report = await rig.RunAsync();

        Assert.Equal(1, report.NotStagedPastSla.Count);
        string item = System.Text.Json.JsonSerializer.Serialize(report.NotStagedPastSla.Items[0]);
        Assert.Contains(old.Id, item);
        Assert.Contains("site-a", item);
        Assert.Equal(CloudState.Announced, await rig.StateAsync(old)); // the edge still has it: reported, not declared lost
    }

    [Theory]
    [InlineData(0)] // the archive's layout by camera key
    [InlineData(1)] // the layout by camera ID before it, copied by an attempt that ran before the upgrade
    public async Task AStagedRecordingWhoseStagingCopyIsGone_IsMarkedArchivedWhenTheArchiveHasIt_ElseQuarantinedForAReupload(int layout)
    {
        using var rig = new SweepRig();
        RecordingAnnouncement copied = await rig.RecordAsync("cam1", 0);
        RecordingAnnouncement vanished = await rig.RecordAsync("cam1", 1);
        foreach (RecordingAnnouncement a in (RecordingAnnouncement[])[copied, vanished])
        {
            StoredObject staged = (await rig.Store.GetAsync(LocalBackend.StagingBucket, a.StagingObject, CancellationToken.None))!;
            await rig.Catalog.MarkStagedAsync(a.Id, staged.Generation, CancellationToken.None);
        }
        // An attempt copied the first to the archive and stopped; the second's staging copy was removed by hand.
        string copiedAs = ObjectNames.ArchiveNamesOf(copied.Camera, copied.StartTime, copied.Id)[layout];
        await rig.Store.CopyAsync(LocalBackend.StagingBucket, copied.StagingObject, null, LocalBackend.ArchiveBucket, copiedAs, 0, CancellationToken.None);
        await rig.Store.DeleteAsync(LocalBackend.StagingBucket, copied.StagingObject, null, CancellationToken.None);
        await rig.Store.DeleteAsync(LocalBackend.StagingBucket, vanished.StagingObject, null, CancellationToken.None);
        rig.Clock.Advance(PastRedrive);

        SweepReport report = await rig.RunAsync();

        Assert.Equal(CloudState.Archived, await rig.StateAsync(copied));
        Assert.Equal(copiedAs, (await rig.Catalog.GetAsync(copied.Id, CancellationToken.None))!.ArchiveObject);
        Recording quarantined = (await rig.Catalog.GetAsync(vanished.Id, CancellationToken.None))!;
        Assert.Equal(CloudState.Quarantined, quarantined.State);
        Assert.Contains("upload it again", quarantined.Reason);
        Assert.Equal(2, report.Redriven.Count);
    }

    [Fact]
    public async Task QuarantinedRecordingsNotUploadedAgainPastTheSla_AndSilentRecorders_AreReported()
    {
        using var rig = new SweepRig();
        RecordingAnnouncement a = await rig.RecordAsync("cam1", 0, upload: false);
        await rig.Catalog.MarkQuarantinedAsync(a.Id, "CRC32C mismatch", CancellationToken.None);
        await rig.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-quiet", rig.Clock.GetUtcNow(), 12, 12_000_000, rig.Clock.GetUtcNow().AddMinutes(-3)), CancellationToken.None);
        rig.Clock.Advance(TimeSpan.FromMinutes(31));
        await rig.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-alive", rig.Clock.GetUtcNow(), 0, 0, null), CancellationToken.None);

        SweepReport report = await rig.RunAsync();

        Assert.Equal(1, report.QuarantinedPastSla.Count);
        Assert.Contains("CRC32C mismatch", System.Text.Json.JsonSerializer.Serialize(report.QuarantinedPastSla.Items[0]));
        Assert.Equal(1, report.RecordersOffline.Count);
        string offline = System.Text.Json.JsonSerializer.Serialize(report.RecordersOffline.Items[0]);
        Assert.Contains("site-quiet", offline);
        Assert.Contains("\"BacklogSegments\":12", offline);
    }

    [Fact]
    public async Task ABoundedSweep_StopsAtItsLimit_AndTheNextCallsGoOnFromTheCheckpoint_UntilEverythingIsDoneOnce()
    {
        using var rig = new SweepRig();
        var recordings = new List<RecordingAnnouncement>();
        for (int i = 0; i < 7; i++)
        {
            recordings.Add(await rig.RecordAsync("cam1", i));
        }
        rig.Clock.Advance(PastRedrive);

        SweepReport first = await rig.RunAsync(limit: 3);
        string? saved = await rig.Catalog.GetCheckpointAsync(ReconcileSweep.CheckpointName(ReconcileSweep.ReconcileJob), CancellationToken.None);
        SweepReport second = await rig.RunAsync(limit: 3);
        SweepReport third = await rig.RunAsync(limit: 3);

        Assert.Equal((false, 3, "start"), (first.Complete, first.Examined, first.ResumedFrom));
        Assert.Equal(first.Continuation, saved);
        Assert.Equal((false, "checkpoint"), (second.Complete, second.ResumedFrom));
        Assert.True(third.Complete);
        Assert.Null(third.Continuation);
        Assert.Null(await rig.Catalog.GetCheckpointAsync(ReconcileSweep.CheckpointName(ReconcileSweep.ReconcileJob), CancellationToken.None));
        Assert.Equal(7, first.Redriven.Count + second.Redriven.Count + third.Redriven.Count);
        foreach (RecordingAnnouncement a in recordings)
        {
            Recording r = (await rig.Catalog.GetAsync(a.Id, CancellationToken.None))!;
            Assert.Equal((CloudState.Archived, 3L), (r.State, r.Version)); // announced, staged, archived: once each
        }
        Assert.Equal("start", (await rig.RunAsync(limit: 3)).ResumedFrom);
    }

    [Fact]
    public async Task AnExplicitContinuation_GoesOnFromThere_AndOneItDidNotIssue_OrAnUnknownJob_IsRefused()
    {
        using var rig = new SweepRig();
        for (int i = 0; i < 4; i++)
        {
            await rig.RecordAsync("cam1", i, upload: false);
        }
        rig.Clock.Advance(TimeSpan.FromMinutes(31));

        SweepReport first = await rig.RunAsync(limit: 2);
        SweepReport rest = await rig.RunAsync(limit: 100, continuation: first.Continuation);

        Assert.Equal((2L, 2L), (first.NotStagedPastSla.Count, rest.NotStagedPastSla.Count));
        Assert.Equal("request", rest.ResumedFrom);
        await Assert.ThrowsAsync<FormatException>(() => rig.RunAsync(continuation: "bm90LWEtdG9rZW4"));
        await Assert.ThrowsAsync<FormatException>(() => rig.RunAsync(ReconcileSweep.RetentionJob, continuation: first.Continuation));
        await Assert.ThrowsAsync<ArgumentException>(() => rig.RunAsync("defragment"));
        await Assert.ThrowsAsync<ArgumentException>(() => rig.RunAsync(limit: 0));
    }

    [Fact]
    public async Task Retention_DeletesArchivedRecordingsOlderThanTheirCamerasDays_ButNeverOnesUnderALegalHold()
    {
        using var rig = new SweepRig(new SweepOptions { Retention = RetentionPolicy.Parse("30,r1~dock=0") });
        DateTimeOffset old = rig.Clock.GetUtcNow().AddDays(-40);
        RecordingAnnouncement expired = await rig.RecordAsync("gate", 0, start: old);
        RecordingAnnouncement held = await rig.RecordAsync("gate", 1, start: old.AddMinutes(1));
        RecordingAnnouncement recent = await rig.RecordAsync("gate", 2, start: rig.Clock.GetUtcNow().AddDays(-3));
        RecordingAnnouncement keptForever = await rig.RecordAsync("dock", 0, start: old);
        foreach (RecordingAnnouncement a in (RecordingAnnouncement[])[expired, held, recent, keptForever])
        {
            Assert.Equal(ArchiveOutcome.Archived, await rig.Archive.ProcessAsync(a.StagingObject, CancellationToken.None));
        }
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("gate", "Gate", "r1"), CancellationToken.None);
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("dock", "Dock", "r1"), CancellationToken.None);
        await rig.Catalog.SetLegalHoldAsync(held.Id, true, "incident 2026-02-11", CancellationToken.None);
        string expiredObject = (await rig.Catalog.GetAsync(expired.Id, CancellationToken.None))!.ArchiveObject!;

        SweepReport report = await rig.RunAsync(ReconcileSweep.RetentionJob);
        SweepReport again = await rig.RunAsync(ReconcileSweep.RetentionJob);

        Assert.Equal((1L, 0L), (report.Expired.Count, report.Errors.Count));
        Recording gone = (await rig.Catalog.GetAsync(expired.Id, CancellationToken.None))!;
        Assert.Equal(CloudState.Expired, gone.State);
        Assert.Contains("retention after 30 days", gone.Reason);
        Assert.Null(await rig.Store.GetAsync(LocalBackend.ArchiveBucket, expiredObject, CancellationToken.None));
        Assert.Equal(CloudState.Archived, await rig.StateAsync(held));
        Assert.Equal(CloudState.Archived, await rig.StateAsync(recent));
        Assert.Equal(CloudState.Archived, await rig.StateAsync(keptForever));
        Assert.Equal(3, (await rig.NamesAsync(LocalBackend.ArchiveBucket)).Count);
        Assert.Equal(0, again.Expired.Count);
    }

    /// <summary>A salvaged recording of <paramref name="recorder"/>'s <paramref name="camera"/>, archived as finalize keeps it.</summary>
    private static async Task<(string Id, string ArchiveObject)> SalvagedAsync(SweepRig rig, string recorder, string camera, long seq, DateTimeOffset start)
    {
        string id = RecordingId.For(recorder, camera, 1, seq);
        var synthesized = new RecordingAnnouncement(id, recorder, camera, camera, 1, seq, start, start, 0, "", "", null, "video/mp4", ObjectNames.Staging(recorder, camera, id));
        Assert.Equal(TransitionOutcome.Applied, await rig.Catalog.BeginSalvageAsync(synthesized, SalvageReasons.Offline(start.AddSeconds(3)), CancellationToken.None));
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes($"salvaged {recorder}/{camera}/{seq}");
        string name = ObjectNames.Archive(new CameraKey(recorder, camera), start, id);
        StoredObject stored = await rig.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, name, "video/mp4",
            Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0, new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        var copy = new SalvagedCopy(1, name, stored.Generation, bytes.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
            Crc32C.ToBase64(Crc32C.Compute(bytes)), start.AddSeconds(2), SalvageReasons.Finished(SalvageReasons.Offline(start.AddSeconds(3)), bytes.Length));
        Assert.Equal(TransitionOutcome.Applied, await rig.Catalog.MarkSalvagedAsync(id, copy, CancellationToken.None));
        return (id, name);
    }

    [Fact]
    public async Task Retention_ExpiresSalvagedRecordingsLikeArchivedOnes_ButNeverOneUnderALegalHold_NorAnotherSitesUnderItsOwnPolicy()
    {
        using var rig = new SweepRig(new SweepOptions { Retention = RetentionPolicy.Parse("0,rec-a~cam1=30") });
        DateTimeOffset old = rig.Clock.GetUtcNow().AddDays(-40);
        (string expiredId, string expiredObject) = await SalvagedAsync(rig, "rec-a", "cam1", 1, old);
        (string heldId, string heldObject) = await SalvagedAsync(rig, "rec-a", "cam1", 2, old.AddMinutes(1));
        (string recentId, _) = await SalvagedAsync(rig, "rec-a", "cam1", 3, rig.Clock.GetUtcNow().AddDays(-3));
        (string otherSiteId, string otherSiteObject) = await SalvagedAsync(rig, "rec-b", "cam1", 1, old); // rec-b's cam1: kept forever
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("cam1", "Cam 1", "rec-a"), CancellationToken.None);
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("cam1", "Cam 1", "rec-b"), CancellationToken.None);
        await rig.Catalog.SetLegalHoldAsync(heldId, true, "burglary 2026-02-11", CancellationToken.None);

        SweepReport report = await rig.RunAsync(ReconcileSweep.RetentionJob);

        Assert.Equal((1L, 0L), (report.Expired.Count, report.Errors.Count));
        Recording gone = (await rig.Catalog.GetAsync(expiredId, CancellationToken.None))!;
        Assert.Equal((CloudState.Expired, "deleted by retention after 30 days"), (gone.State, gone.Reason));
        Assert.Null(await rig.Store.GetAsync(LocalBackend.ArchiveBucket, expiredObject, CancellationToken.None));
        Assert.Equal(CloudState.Salvaged, (await rig.Catalog.GetAsync(heldId, CancellationToken.None))!.State);
        Assert.NotNull(await rig.Store.GetAsync(LocalBackend.ArchiveBucket, heldObject, CancellationToken.None));
        Assert.Equal(CloudState.Salvaged, (await rig.Catalog.GetAsync(recentId, CancellationToken.None))!.State);
        Assert.Equal(CloudState.Salvaged, (await rig.Catalog.GetAsync(otherSiteId, CancellationToken.None))!.State);
        Assert.NotNull(await rig.Store.GetAsync(LocalBackend.ArchiveBucket, otherSiteObject, CancellationToken.None));
    }

    [Fact]
    public async Task Retention_ThatStoppedBetweenDeletingAndMarking_IsFinishedByTheNextRun()
    {
        using var rig = new SweepRig(new SweepOptions { Retention = RetentionPolicy.Parse("7") });
        RecordingAnnouncement a = await rig.RecordAsync("gate", 0, start: rig.Clock.GetUtcNow().AddDays(-8));
        await rig.Archive.ProcessAsync(a.StagingObject, CancellationToken.None);
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("gate", "Gate", "r1"), CancellationToken.None);
        Recording r = (await rig.Catalog.GetAsync(a.Id, CancellationToken.None))!;
        await rig.Store.DeleteAsync(LocalBackend.ArchiveBucket, r.ArchiveObject!, null, CancellationToken.None); // deleted, then the run died

        SweepReport report = await rig.RunAsync(ReconcileSweep.RetentionJob);

        Assert.Equal((1L, 0L), (report.Expired.Count, report.Errors.Count));
        Assert.Equal(CloudState.Expired, await rig.StateAsync(a));
    }

    [Fact]
    public async Task Retention_AnOverrideOfRecAsGate_DoesNotApplyToRecBsGate()
    {
        using var rig = new SweepRig(new SweepOptions { Retention = RetentionPolicy.Parse("0,rec-a~gate=30") });
        DateTimeOffset old = rig.Clock.GetUtcNow().AddDays(-40);
        RecordingAnnouncement ofA = await rig.RecordAsync("gate", 0, start: old, recorder: "rec-a");
        RecordingAnnouncement ofB = await rig.RecordAsync("gate", 0, start: old, recorder: "rec-b");
        foreach (RecordingAnnouncement a in (RecordingAnnouncement[])[ofA, ofB])
        {
            Assert.Equal(ArchiveOutcome.Archived, await rig.Archive.ProcessAsync(a.StagingObject, CancellationToken.None));
        }
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("gate", "Gate", "rec-a"), CancellationToken.None);
        await rig.Catalog.UpsertCameraAsync(new CameraInfo("gate", "Gate", "rec-b"), CancellationToken.None);

        SweepReport report = await rig.RunAsync(ReconcileSweep.RetentionJob);

        Assert.Equal((1L, 0L), (report.Expired.Count, report.Errors.Count));
        Assert.Equal(CloudState.Expired, await rig.StateAsync(ofA));
        Assert.Equal(CloudState.Archived, await rig.StateAsync(ofB)); // rec-b's gate keeps the default: forever
    }

    [Theory]
    [InlineData("", 0, null, null)]
    [InlineData("30", 30, "r1~gate", 30)]
    [InlineData(" 30 , r1~gate=90, r1~dock=0 ", 30, "r1~dock", null)]
    [InlineData(" 30 , r1~gate=90, r1~dock=0 ", 30, "r2~dock", 30)]
    [InlineData("0,rec-a~gate=14", 0, "rec-a~gate", 14)]
    [InlineData("0,rec-a~gate=14", 0, "rec-b~gate", null)]
    public void RetentionPolicy_ParsesADefaultAndPerCameraDays(string text, int defaultDays, string? camera, int? days)
    {
        RetentionPolicy policy = RetentionPolicy.Parse(text);

        Assert.Equal(defaultDays, policy.DefaultDays);
        if (camera is not null)
        {
            Assert.Equal(days is { } d ? TimeSpan.FromDays(d) : null, policy.For(CameraKey.Parse(camera)));
        }
    }

    [Theory]
    [InlineData("thirty", "not a number of days")]
    [InlineData("r1~gate=90,30", "the default number of days comes first")]
    [InlineData("30,gate=90", "names the camera's recorder too, RECORDER~gate=90")]
    [InlineData("30,Gate Cam=5", "is not a camera key")]
    [InlineData("30,r1~gate=5,r1~gate=6", "given twice")]
    [InlineData("-1", "not a number of days")]
    public void RetentionPolicy_RefusesWhatItCannotRead_SayingWhy(string text, string reason)
    {
        FormatException e = Assert.Throws<FormatException>(() => RetentionPolicy.Parse(text));
        Assert.Contains(reason, e.Message);
    }
}
