using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class DiskBudgetTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly TempDir _cloud = new("cloud");
    private readonly LocalBackend _backend;

    public DiskBudgetTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    private PipelineRig Rig(long? maxBytes, long minFree = 0, TimeProvider? time = null) =>
        new(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog, o => { o.DiskBudget.MaxBytes = maxBytes; o.DiskBudget.MinFreeBytes = minFree; }, time);

    [Fact]
    public void OverBudget_FreesVerifiedThenUploaded_OldestFirst_AndNeverTouchesFootageNotYetUploaded()
    {
        using PipelineRig rig = Rig(maxBytes: 10 * MiB);
        List<OutboxSegment> segments = Enumerable.Range(0, 12).Select(_ => rig.Seal(MiB)).ToList();
        foreach (OutboxSegment s in segments.Take(3))
        {
            rig.Uploaded(s, 1);
            rig.Outbox.MarkVerified(s.Id);
        }
        foreach (OutboxSegment s in segments.Skip(3).Take(3))
        {
            rig.Uploaded(s, 1);
        }

        DiskBudgetReport report = rig.Context.CreateDiskBudget(_ => long.MaxValue).Enforce();

        Assert.Equal((3, 1, 0), (report.EvictedVerified, report.EvictedUploaded, report.LostToDiskFull));
        Assert.All(segments.Take(3), s => Assert.Equal(EdgeState.Evicted, rig.Outbox.Get(s.Id)!.State));
        Assert.All(segments.Take(4), s => Assert.False(File.Exists(s.Path)));
        Assert.Equal(EdgeState.Uploaded, rig.Outbox.Get(segments[3].Id)!.State);
        Assert.All(segments.Skip(4), s => Assert.True(File.Exists(s.Path)));
        Assert.DoesNotContain(rig.Outbox.All(), s => s.State == EdgeState.Lost);
        Assert.True(report.SpoolBytes <= 8.5 * MiB, $"spool still holds {report.SpoolBytes} bytes");
    }

    [Fact]
    public async Task OnlyFootageNotYetUploadedLeft_EvictsTheOldest_AndRecordsItLostWithDiskFull_InTheOutboxAndTheCatalog()
    {
        using PipelineRig rig = Rig(maxBytes: 10 * MiB);
        List<OutboxSegment> segments = Enumerable.Range(0, 12).Select(_ => rig.Seal(MiB)).ToList();

        DiskBudgetReport report = rig.Context.CreateDiskBudget(_ => long.MaxValue).Enforce();
        await rig.Context.CreateCatalogSync().AnnounceAsync(CancellationToken.None);

        Assert.Equal(4, report.LostToDiskFull);
        foreach (OutboxSegment s in segments.Take(4))
        {
            OutboxSegment row = rig.Outbox.Get(s.Id)!;
            Assert.Equal(EdgeState.Lost, row.State);
            Assert.StartsWith("disk full", row.LastError, StringComparison.Ordinal);
            Recording cloud = (await _backend.Catalog.GetAsync(s.Id, CancellationToken.None))!;
            Assert.Equal(CloudState.Lost, cloud.State);
            Assert.StartsWith("disk full", cloud.Reason, StringComparison.Ordinal);
        }
        Assert.All(segments.Skip(4), s => Assert.Equal(EdgeState.Sealed, rig.Outbox.Get(s.Id)!.State));
        Assert.Empty(rig.Outbox.UnsyncedLosses(100));
    }

    [Fact]
    public void FreeSpaceBelowTheFloor_FreesVerifiedFootageEvenWithoutAByteBudget()
    {
        using PipelineRig rig = Rig(maxBytes: null, minFree: 100L * MiB);
        List<OutboxSegment> segments = Enumerable.Range(0, 4).Select(_ => rig.Seal(MiB)).ToList();
        foreach (OutboxSegment s in segments.Take(2))
        {
            rig.Uploaded(s, 1);
            rig.Outbox.MarkVerified(s.Id);
        }
        long free = 99L * MiB;

        DiskBudgetReport report = rig.Context.CreateDiskBudget(_ => free).Enforce();

        Assert.Equal(2, report.EvictedVerified);
        Assert.Equal(2, report.LostToDiskFull); // 2 MiB freed is still under the floor plus its margin: the oldest unuploaded go too
        Assert.Equal(4, rig.Outbox.All().Count(s => !File.Exists(s.Path)));
    }

    [Fact]
    public void FarBelowItsBudget_TheSpoolIsWalkedOnceAMinute_ButFreeSpaceIsReadAtEveryCheck_AndNearItAtEveryCheck()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 2, 3, 10, 0, TimeSpan.Zero));
        using PipelineRig rig = Rig(maxBytes: 20 * MiB, minFree: 100L * MiB, time: clock);
        TimeSpan check = rig.Context.Options.DiskBudget.CheckInterval;
        long free = long.MaxValue;
        DiskBudget budget = rig.Context.CreateDiskBudget(_ => free);
        List<OutboxSegment> segments = Enumerable.Range(0, 2).Select(_ => rig.Seal(MiB)).ToList();
        long walked = budget.EnforceIfDue()!.SpoolBytes;
        Assert.InRange(walked, 2 * MiB, 3 * MiB);

        segments.AddRange(Enumerable.Range(0, 8).Select(_ => rig.Seal(MiB)));
        clock.Advance(check);
        Assert.Equal(walked + 8 * MiB, budget.EnforceIfDue()!.SpoolBytes); // 10% of the budget: not walked again yet, the seals since counted

        clock.Advance(DiskBudget.FarWalkInterval - check);
        walked = budget.EnforceIfDue()!.SpoolBytes;
        Assert.InRange(walked, 10 * MiB, 11 * MiB); // a minute on: walked; half the budget now

        rig.Seal(MiB);
        clock.Advance(check);
        Assert.InRange(budget.EnforceIfDue()!.SpoolBytes, 11 * MiB, 12 * MiB); // near the budget: walked at every check

        foreach (OutboxSegment s in segments.Take(2))
        {
            rig.Uploaded(s, 1);
            rig.Outbox.MarkVerified(s.Id);
        }
        free = 99L * MiB; // the disk fills from elsewhere
        clock.Advance(check);
        Assert.Equal(2, budget.EnforceIfDue()!.EvictedVerified);
    }

    [Fact]
    public void ASlowWalk_IsNotRepeatedAtEveryCheck_EvenNearTheBudget_AndBetweenWalksTheEstimateCountsWhatWasSealedAndFreed()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 3, 3, 10, 0, TimeSpan.Zero));
        using PipelineRig rig = Rig(maxBytes: 20 * MiB, minFree: 100L * MiB, time: clock);
        TimeSpan check = rig.Context.Options.DiskBudget.CheckInterval;
        int walks = 0;
        // A spool of a million files: its walk takes a while (here 0.2 s; a walk's next comes at least 100 times that later).
        DiskBudget budget = rig.Context.CreateDiskBudget(_ => long.MaxValue, spool =>
        {
            walks++;
            Thread.Sleep(200);
            return new DirectoryInfo(spool).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        });
        List<OutboxSegment> segments = Enumerable.Range(0, 12).Select(_ => rig.Seal(MiB)).ToList();
        long walked = budget.EnforceIfDue()!.SpoolBytes; // 60% of the budget: near it
        Assert.Equal((1, 12 * MiB), (walks, walked));

        segments.Add(rig.Seal(MiB));
        clock.Advance(check);
        Assert.Equal(walked + MiB, budget.EnforceIfDue()!.SpoolBytes); // near, yet not walked again: estimated
        Assert.Equal(1, walks);

        foreach (OutboxSegment s in segments.Take(4))
        {
            rig.Uploaded(s, 1);
            rig.Outbox.MarkVerified(s.Id);
        }
        segments.AddRange(Enumerable.Range(0, 7).Select(_ => rig.Seal(MiB))); // 20 MiB: over 95% of the budget
        clock.Advance(check);
        DiskBudgetReport evicting = budget.EnforceIfDue()!;
        Assert.Equal((1, 3, 17 * MiB), (walks, evicting.EvictedVerified, evicting.SpoolBytes)); // down to 85%, on the estimate alone
        Assert.Equal(3, segments.Take(4).Count(s => !File.Exists(s.Path)));

        clock.Advance(check);
        Assert.Equal(17 * MiB, budget.EnforceIfDue()!.SpoolBytes); // what it freed stays subtracted
        Assert.Equal(1, walks);

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(17 * MiB, budget.EnforceIfDue()!.SpoolBytes); // walked again at last, and it agrees
        Assert.Equal(2, walks);
    }

    [Fact]
    public void WithinBudget_TouchesNothing()
    {
        using PipelineRig rig = Rig(maxBytes: 100 * MiB);
        List<OutboxSegment> segments = Enumerable.Range(0, 5).Select(_ => rig.Seal(MiB)).ToList();

        DiskBudgetReport report = rig.Context.CreateDiskBudget(_ => long.MaxValue).Enforce();

        Assert.False(report.Acted);
        Assert.All(segments, s => Assert.True(File.Exists(s.Path)));
    }
}

/// <summary>
/// The disk budget and an upload racing for one segment, interleaved step by step (no timing): the budget has seen the
/// row sealed, then an upload claims it and is in the middle of sending it, then the budget acts on what it saw.
/// </summary>
public sealed class DiskBudgetUploadRaceTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly TempDir _cloud = new("cloud");
    private readonly LocalBackend _backend;

    public DiskBudgetUploadRaceTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public async Task BudgetActsOnARowAnUploadClaimedSinceItLooked_DeletesNothing_AndTheUploadFinishesAsUploadedNotLost()
    {
        var store = new GatedObjectStore(_backend.Store);
        using var rig = new PipelineRig(store, LocalBackend.StagingBucket, _backend.Catalog, o => o.DiskBudget.MaxBytes = MiB);
        OutboxSegment segment = rig.Seal(2 * MiB);
        var budget = rig.Context.CreateDiskBudget(_ => long.MaxValue);
        OutboxSegment seenByBudget = Assert.Single(rig.Outbox.NotYetUploaded(10));

        Task<int> upload = rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None);
        await store.UploadEntered;
        Assert.Equal(EdgeState.Uploading, rig.Outbox.Get(segment.Id)!.State);

        Assert.Null(budget.EvictBeforeUpload(seenByBudget, "disk full: test"));
        Assert.True(File.Exists(segment.Path), "the budget deleted a file that was being uploaded");
        Assert.Equal(EdgeState.Uploading, rig.Outbox.Get(segment.Id)!.State);

        store.Release();
        Assert.Equal(1, await upload);
        OutboxSegment row = rig.Outbox.Get(segment.Id)!;
        Assert.Equal(EdgeState.Uploaded, row.State);
        Assert.Null(row.LastError);
        Assert.Empty(rig.Outbox.UnsyncedLosses(10));
        Assert.Equal(segment.Crc32C, (await _backend.Store.GetAsync(LocalBackend.StagingBucket, segment.ObjectName, CancellationToken.None))!.Crc32C);
    }

    [Fact]
    public async Task BudgetEvictsFirst_TheUploadThenFindsNothingToClaim_SoTheSegmentIsLostAndNeverUploaded()
    {
        var store = new GatedObjectStore(_backend.Store);
        store.Release();
        using var rig = new PipelineRig(store, LocalBackend.StagingBucket, _backend.Catalog, o => o.DiskBudget.MaxBytes = MiB);
        OutboxSegment segment = rig.Seal(2 * MiB);
        var budget = rig.Context.CreateDiskBudget(_ => long.MaxValue);

        Assert.Equal((2L * MiB, true), budget.EvictBeforeUpload(Assert.Single(rig.Outbox.NotYetUploaded(10)), "disk full: test"));
        Assert.Equal(0, await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None));

        Assert.Equal(EdgeState.Lost, rig.Outbox.Get(segment.Id)!.State);
        Assert.False(File.Exists(segment.Path));
        Assert.Null(await _backend.Store.GetAsync(LocalBackend.StagingBucket, segment.ObjectName, CancellationToken.None));
    }

    [Fact]
    public void ARowForceSentAgain_WhoseObjectTheBucketConfirmedBefore_IsEvictedBackToUploaded_NeverLost()
    {
        using var rig = new PipelineRig(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog, o => o.DiskBudget.MaxBytes = MiB);
        OutboxSegment segment = rig.Seal(2 * MiB);
        rig.Uploaded(segment, generation: 42);
        Assert.Equal(1, rig.Outbox.RequeueUploaded(null));

        DiskBudgetReport report = rig.Context.CreateDiskBudget(_ => long.MaxValue).Enforce();

        Assert.Equal((0, 1), (report.LostToDiskFull, report.EvictedUploaded));
        Assert.False(File.Exists(segment.Path));
        OutboxSegment row = rig.Outbox.Get(segment.Id)!;
        Assert.Equal((EdgeState.Uploaded, (long?)42), (row.State, row.Generation));
    }
}
