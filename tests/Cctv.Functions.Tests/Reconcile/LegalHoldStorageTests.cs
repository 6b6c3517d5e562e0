using Cctv.Functions.Finalize;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Tests.Reconcile;

/// <summary>
/// Legal holds reach the archive on the embedded backend: placing one holds the archived object, releasing it releases
/// it, a hold that reached only the catalog is completed by the reconcile sweep, and retention leaves a held object
/// without an error. Two recorders (two sites) with a camera called cam1.
/// </summary>
public sealed class LegalHoldStorageTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly SweepRig _rig = new(new SweepOptions { Retention = RetentionPolicy.Parse("30") });

    public void Dispose() => _rig.Dispose();

    private LegalHolds Holds => new(_rig.Catalog, _rig.Store, LocalBackend.ArchiveBucket);

    /// <summary>Cam1 of rec-a and of rec-b, 40 days old, archived (so retention is due for both).</summary>
    private async Task<(Recording OfA, Recording OfB)> TwoCam1sAsync(int seq = 0)
    {
        DateTimeOffset old = _rig.Clock.GetUtcNow().AddDays(-40).AddMinutes(seq);
        RecordingAnnouncement a = await _rig.RecordAsync("cam1", seq, start: old, recorder: "rec-a");
        RecordingAnnouncement b = await _rig.RecordAsync("cam1", seq, start: old, recorder: "rec-b");
        foreach (RecordingAnnouncement r in (RecordingAnnouncement[])[a, b])
        {
            Assert.Equal(ArchiveOutcome.Archived, await _rig.Archive.ProcessAsync(r.StagingObject, None));
            await _rig.Catalog.UpsertCameraAsync(new CameraInfo("cam1", "Cam 1", r.RecorderId), None);
        }
        return ((await _rig.Catalog.GetAsync(a.Id, None))!, (await _rig.Catalog.GetAsync(b.Id, None))!);
    }

    private async Task<StoredObject?> ObjectOfAsync(Recording r) => await _rig.Store.GetAsync(LocalBackend.ArchiveBucket, r.ArchiveObject!, None);

    [Fact]
    public async Task Placing_HoldsTheArchivedObjectOfThatRecorderOnly_AndReleasing_ReleasesIt()
    {
        (Recording ofA, Recording ofB) = await TwoCam1sAsync();

        HoldResult placed = await Holds.PlaceAsync(ofA.Id, "case 2026-118", None);
        HoldResult again = await Holds.PlaceAsync(ofA.Id, "case 2026-118", None);

        Assert.Equal((TransitionOutcome.Applied, true, null), (placed.Catalog, placed.Storage, placed.StorageProblem));
        Assert.Equal((TransitionOutcome.AlreadyDone, true), (again.Catalog, again.Storage));
        Assert.True((await ObjectOfAsync(ofA))!.EventBasedHold);
        Assert.False((await ObjectOfAsync(ofB))!.EventBasedHold);
        await Assert.ThrowsAsync<ObjectStoreException>(() => _rig.Store.DeleteAsync(LocalBackend.ArchiveBucket, ofA.ArchiveObject!, null, None));

        HoldResult released = await Holds.ReleaseAsync(ofA.Id, None);

        Assert.Equal((TransitionOutcome.Applied, false), (released.Catalog, released.Storage));
        Assert.False((await ObjectOfAsync(ofA))!.EventBasedHold);
        Assert.False((await _rig.Catalog.GetAsync(ofA.Id, None))!.LegalHold);
    }

    [Fact]
    public async Task AHoldThatReachedOnlyTheCatalog_IsPlacedOnTheObjectByTheNextReconcileSweep_Once()
    {
        (Recording ofA, Recording ofB) = await TwoCam1sAsync();
        // The command died after the catalog's step (or storage was down): the catalog holds, the object does not.
        await _rig.Catalog.SetLegalHoldAsync(ofA.Id, true, "case 2026-118", None);

        SweepReport first = await _rig.RunAsync();
        SweepReport second = await _rig.RunAsync();

        Assert.True((await ObjectOfAsync(ofA))!.EventBasedHold);
        Assert.False((await ObjectOfAsync(ofB))!.EventBasedHold);
        Assert.Equal((1L, 0L), (first.HoldsPlaced.Count, first.Errors.Count));
        Assert.Equal((0L, 0L), (second.HoldsPlaced.Count, second.Errors.Count));
    }

    [Fact]
    public async Task AHoldPlacedBeforeArchiving_IsPlacedOnTheObjectByTheSweepAfterArchiving()
    {
        RecordingAnnouncement a = await _rig.RecordAsync("cam1", 0, start: _rig.Clock.GetUtcNow().AddMinutes(-1), recorder: "rec-a");

        HoldResult placed = await Holds.PlaceAsync(a.Id, "case 9", None);
        await _rig.Archive.ProcessAsync(a.StagingObject, None);
        await _rig.RunAsync();

        Assert.Equal((TransitionOutcome.Applied, (bool?)null), (placed.Catalog, placed.Storage));
        Assert.True((await ObjectOfAsync((await _rig.Catalog.GetAsync(a.Id, None))!))!.EventBasedHold);
    }

    [Fact]
    public async Task Retention_LeavesAnObjectStorageHolds_WithoutAnError_AndDeletesTheOtherSitesCam1()
    {
        (Recording ofA, Recording ofB) = await TwoCam1sAsync();
        // A release that stopped after... nothing: the object is held in storage, the catalog does not hold the recording.
        await _rig.Store.SetEventBasedHoldAsync(LocalBackend.ArchiveBucket, ofA.ArchiveObject!, true, None);

        SweepReport report = await _rig.RunAsync(ReconcileSweep.RetentionJob);

        Assert.Equal((1L, 0L, 1L), (report.Expired.Count, report.Errors.Count, report.HeldInStorage.Count));
        Assert.Equal(CloudState.Archived, (await _rig.Catalog.GetAsync(ofA.Id, None))!.State);
        Assert.NotNull(await ObjectOfAsync(ofA));
        Assert.Equal(CloudState.Expired, (await _rig.Catalog.GetAsync(ofB.Id, None))!.State);

        await Holds.ReleaseAsync(ofA.Id, None);
        SweepReport after = await _rig.RunAsync(ReconcileSweep.RetentionJob);

        Assert.Equal((1L, 0L), (after.Expired.Count, after.Errors.Count));
        Assert.Null(await ObjectOfAsync(ofA));
    }
}
