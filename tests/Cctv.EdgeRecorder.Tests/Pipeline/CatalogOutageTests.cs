using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class CatalogOutageTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public async Task WithTheCatalogUnreachable_SegmentsStillUpload_AndAreAnnouncedOnceItAnswersAgain()
    {
        var backend = new LocalBackend(_cloud.Path, TimeProvider.System);
        // A Firestore that does not answer (nothing listens on the port): every catalog call fails.
        using GcpEndpoint dead = GcpEndpoint.Emulator(GcpService.Firestore, "127.0.0.1:9", new GcpEndpointOptions { TransientRetries = 0, RequestTimeout = TimeSpan.FromSeconds(2) });
        var unreachable = new FirestoreCatalog(new FirestoreClient(dead, "demo-project"), TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, unreachable);
        // An earlier run had its recorder ID confirmed by the catalog (the first start needs the catalog: see the next test).
        await new EdgeContext(rig.Context.Options, backend.Store, LocalBackend.StagingBucket, backend.Catalog, TimeProvider.System, NullLoggerFactory.Instance)
            .Claims.EnsureAsync(CancellationToken.None);
        List<OutboxSegment> segments = Enumerable.Range(0, 3).Select(_ => rig.Seal(4000)).ToList();

        await new RecorderAgent(rig.Context).PipelineOnceAsync(CancellationToken.None);

        Assert.All(rig.Outbox.All(), s => Assert.Equal(EdgeState.Uploaded, s.State));
        Assert.All(rig.Outbox.All(), s => Assert.False(s.Announced));
        Assert.Equal(3, rig.Outbox.Unannounced(10).Count);

        // The catalog is back (here: the same outbox, now with a catalog that answers).
        var again = new EdgeContext(rig.Context.Options, backend.Store, LocalBackend.StagingBucket, backend.Catalog, TimeProvider.System, NullLoggerFactory.Instance);
        await again.CreateCatalogSync().AnnounceAsync(CancellationToken.None);

        Assert.Empty(again.Outbox.Unannounced(10));
        foreach (OutboxSegment s in segments)
        {
            Assert.Equal(CloudState.Announced, (await backend.Catalog.GetAsync(s.Id, CancellationToken.None))!.State);
        }
    }

    [Fact]
    public async Task AtTheFirstStart_WithTheCatalogUnreachable_ItRecordsButUploadsNothingUntilTheRecorderIdIsClaimed()
    {
        var backend = new LocalBackend(_cloud.Path, TimeProvider.System);
        using GcpEndpoint dead = GcpEndpoint.Emulator(GcpService.Firestore, "127.0.0.1:9", new GcpEndpointOptions { TransientRetries = 0, RequestTimeout = TimeSpan.FromSeconds(2) });
        var unreachable = new FirestoreCatalog(new FirestoreClient(dead, "demo-project"), TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, unreachable);
        rig.Seal(4000);

        await new RecorderAgent(rig.Context).RecoverAsync(CancellationToken.None); // starts: recording never waits for the cloud
        Assert.All(rig.Outbox.All(), s => Assert.Equal(EdgeState.Sealed, s.State));

        var again = new EdgeContext(rig.Context.Options, backend.Store, LocalBackend.StagingBucket, backend.Catalog, TimeProvider.System, NullLoggerFactory.Instance);
        await new RecorderAgent(again).PipelineOnceAsync(CancellationToken.None);
        Assert.All(again.Outbox.All(), s => Assert.Equal(EdgeState.Uploaded, s.State));
        Assert.Equal(again.Claims.Identity.Fingerprint, (await backend.Catalog.GetRecorderClaimAsync("site", CancellationToken.None))!.KeyFingerprint);
    }
}
