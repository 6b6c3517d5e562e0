using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class CatalogSyncTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public async Task Heartbeat_CarriesTheBacklog_AndIsSentOncePerInterval()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-21T03:10:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var backend = new LocalBackend(_cloud.Path, clock);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog, o => o.HeartbeatInterval = TimeSpan.FromSeconds(30), clock);
        List<OutboxSegment> s = Enumerable.Range(0, 3).Select(_ => rig.Seal(1000)).ToList();
        rig.Uploaded(s[0], 1);
        var sync = rig.Context.CreateCatalogSync();

        Assert.True(await sync.HeartbeatIfDueAsync(CancellationToken.None));
        Assert.False(await sync.HeartbeatIfDueAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(await sync.HeartbeatIfDueAsync(CancellationToken.None));

        RecorderStatus recorder = Assert.Single(await backend.Catalog.ListRecordersAsync(CancellationToken.None));
        Assert.Equal(("site", 2L, 2000L), (recorder.RecorderId, recorder.Heartbeat.BacklogSegments, recorder.Heartbeat.BacklogBytes));
        Assert.Equal(clock.GetUtcNow(), recorder.Heartbeat.SentAt);
    }

    [Fact]
    public async Task APassAnnouncesWhatWasSealed_InOneCallToTheCatalog_AndMarksEachAnnounced()
    {
        var backend = new LocalBackend(_cloud.Path, TimeProvider.System);
        var calls = new List<(string Method, int Count)>();
        ICatalog counted = CountingProxy.Over(backend.Catalog, calls);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, counted);
        List<OutboxSegment> sealedNow = [.. Enumerable.Range(0, 16).Select(i => rig.Seal(1000 + i))];
        var sync = rig.Context.CreateCatalogSync();

        await sync.AnnounceAsync(CancellationToken.None);
        await sync.AnnounceAsync(CancellationToken.None); // nothing left: no call

        Assert.Equal([("AnnounceManyAsync", 16)], calls.Where(c => c.Method.StartsWith("Announce", StringComparison.Ordinal)));
        Assert.Empty(rig.Outbox.Unannounced(100));
        foreach (OutboxSegment s in sealedNow)
        {
            Assert.Equal(s.Sha256, (await backend.Catalog.GetAsync(s.Id, CancellationToken.None))!.Announcement.Sha256);
        }
    }

    /// <summary>Forwards every call to the catalog and notes its name and, for a list, how many it carried.</summary>
    public class CountingProxy : System.Reflection.DispatchProxy
    {
        private ICatalog _inner = null!;
        private List<(string, int)> _calls = null!;

        public static ICatalog Over(ICatalog inner, List<(string, int)> calls)
        {
            ICatalog proxy = Create<ICatalog, CountingProxy>();
            ((CountingProxy)(object)proxy)._inner = inner;
            ((CountingProxy)(object)proxy)._calls = calls;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            lock (_calls)
            {
                _calls.Add((targetMethod!.Name, args?.FirstOrDefault() is System.Collections.ICollection list ? list.Count : 1));
            }
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}

/// <summary>What the catalog sync does with the cloud's word on a segment: expired is final on the edge; a refused loss stays in the cloud.</summary>
public sealed class CatalogSyncStateTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");
    private readonly LocalBackend _backend;

    public CatalogSyncStateTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public async Task CatalogSaysExpired_TheEdgeRowBecomesExpired_AndNoForcedSyncOrEnsureUploadsSendsItAgain()
    {
        using var rig = new PipelineRig(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);
        OutboxSegment s = rig.Seal(3000);
        var sync = rig.Context.CreateCatalogSync();
        await sync.AnnounceAsync(CancellationToken.None);
        rig.Uploaded(s, 3);
        await _backend.Catalog.MarkStagedAsync(s.Id, 3, CancellationToken.None);
        await _backend.Catalog.MarkArchivedAsync(s.Id, "recordings/x", 4, CancellationToken.None);
        await _backend.Catalog.MarkExpiredAsync(s.Id, "retention: 30 days", CancellationToken.None);

        await sync.VerifyAsync(CancellationToken.None);

        Assert.Equal(EdgeState.Expired, rig.Outbox.Get(s.Id)!.State);
        Assert.Equal(0, rig.Outbox.RequeueUploaded(null));
        Assert.Equal(0, (await EnsureUploadsCommand.CheckAsync(rig.Context, CancellationToken.None)).Requeued);
        Assert.Equal(0, await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
        Assert.Equal(EdgeState.Expired, rig.Outbox.Get(s.Id)!.State);
        Assert.Null(await _backend.Store.GetAsync(LocalBackend.StagingBucket, s.ObjectName, CancellationToken.None));
    }

    [Fact]
    public async Task EnsureUploads_OfAnUploadedRowTheCatalogSaysExpired_MarksItExpired_InsteadOfUploadingItAgain()
    {
        using var rig = new PipelineRig(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);
        OutboxSegment s = rig.Seal(3000);
        await rig.Context.CreateCatalogSync().AnnounceAsync(CancellationToken.None);
        rig.Uploaded(s, 3);
        await _backend.Catalog.MarkStagedAsync(s.Id, 3, CancellationToken.None);
        await _backend.Catalog.MarkArchivedAsync(s.Id, "recordings/x", 4, CancellationToken.None);
        await _backend.Catalog.MarkExpiredAsync(s.Id, "retention: 30 days", CancellationToken.None);

        EnsureUploadsReport report = await EnsureUploadsCommand.CheckAsync(rig.Context, CancellationToken.None);

        Assert.Equal((1, 0), (report.Expired, report.Requeued));
        Assert.Equal(EdgeState.Expired, rig.Outbox.Get(s.Id)!.State);
        Assert.Equal(0, await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ALossTheCatalogRefuses_BecauseTheObjectIsStaged_LeavesTheRecordingStaged()
    {
        using var rig = new PipelineRig(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);
        OutboxSegment s = rig.Seal(3000);
        var sync = rig.Context.CreateCatalogSync();
        await sync.AnnounceAsync(CancellationToken.None);
        await _backend.Catalog.MarkStagedAsync(s.Id, 3, CancellationToken.None);
        Assert.True(rig.Outbox.MarkLost(s.Id, "the local file disappeared", [EdgeState.Sealed]));

        await sync.AnnounceAsync(CancellationToken.None);

        Assert.Equal(CloudState.Staged, (await _backend.Catalog.GetAsync(s.Id, CancellationToken.None))!.State);
        Assert.Empty(rig.Outbox.UnsyncedLosses(10));
    }
}

/// <summary>The running agent's verification: one catalog query per call for one page of uploaded segments, going round past the ones the cloud is slow on.</summary>
public sealed class CatalogSyncPagedVerifyTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");
    private readonly LocalBackend _backend;

    public CatalogSyncPagedVerifyTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public async Task APageTheCloudMadeNoProgressOn_IsFollowedByThePageAfterIt_AndTheOrderGoesRound()
    {
        using var rig = new PipelineRig(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);
        var sync = rig.Context.CreateCatalogSync();
        List<OutboxSegment> all = Enumerable.Range(0, CatalogSync.VerifyPageSize + 50).Select(_ => rig.Seal(100)).ToList();
        await sync.AnnounceAsync(CancellationToken.None);
        foreach (OutboxSegment s in all)
        {
            rig.Uploaded(s, 7);
        }
        // The cloud is stuck on the oldest page and has archived everything after it.
        var firstPage = rig.Outbox.UploadedPage(null, CatalogSync.VerifyPageSize).Rows.Select(s => s.Id).ToHashSet();
        foreach (OutboxSegment s in all.Where(s => !firstPage.Contains(s.Id)))
        {
            await _backend.Catalog.MarkStagedAsync(s.Id, 7, CancellationToken.None);
            await _backend.Catalog.MarkArchivedAsync(s.Id, "recordings/" + s.Id, 8, CancellationToken.None);
        }

        VerifyPass stuck = await sync.VerifyNextPageAsync(CancellationToken.None);
        VerifyPass behind = await sync.VerifyNextPageAsync(CancellationToken.None);
        VerifyPass round = await sync.VerifyNextPageAsync(CancellationToken.None);

        Assert.Equal(new VerifyPass(CatalogSync.VerifyPageSize, 0, 0), stuck);
        Assert.Equal(new VerifyPass(50, 50, 0), behind);
        Assert.Equal(new VerifyPass(CatalogSync.VerifyPageSize, 0, 0), round); // back at the oldest
        Assert.Equal(50, rig.Outbox.CountByState()[EdgeState.Verified]);
    }

    [Fact]
    public async Task NothingUploaded_AsksTheCatalogNothing()
    {
        using var rig = new PipelineRig(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);
        rig.Seal(100); // sealed, not uploaded

        Assert.Equal(new VerifyPass(0, 0, 0), await rig.Context.CreateCatalogSync().VerifyNextPageAsync(CancellationToken.None));
    }
}
