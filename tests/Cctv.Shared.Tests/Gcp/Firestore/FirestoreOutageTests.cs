using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Gcp;

namespace Cctv.Shared.Tests.Gcp.Firestore;

/// <summary>An outage is an error, never "nothing there": a Firestore emulator of its own, stopped mid-test.</summary>
[Collection(Name)]
public sealed class FirestoreOutageTests
{
    public const string Name = "Firestore outage";

    [Fact]
    public async Task Catalog_WhenTheEmulatorStops_ThrowsTransientErrors_InsteadOfEmptyAnswers()
    {
        await using GcloudEmulator emulator = await GcloudEmulator.StartFirestoreAsync();
        using GcpEndpoint endpoint = GcloudEmulator.Endpoint(GcpService.Firestore, emulator.HostPort, transientRetries: 1);
        var catalog = new FirestoreCatalog(new FirestoreClient(endpoint, "cctv-outage"), TimeProvider.System);
        var a = new RecordingAnnouncement(RecordingId.For("r1", "cam1", 1, 0), "r1", "cam1", "Cam 1", 1, 0,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddSeconds(4), 10, "aa", "AAAAAA==", "md5", "video/mp4", "incoming/x.mp4");
        await catalog.AnnounceAsync(a, CancellationToken.None);
        Assert.Single((await catalog.QueryAsync(new RecordingQuery([new CameraKey("r1", "cam1")], null, null, 10, null, CatalogScope.Everything), CancellationToken.None)).Items);

        await emulator.StopAsync();

        await Assert.ThrowsAsync<GcpTransientException>(() => catalog.QueryAsync(new RecordingQuery([new CameraKey("r1", "cam1")], null, null, 10, null, CatalogScope.Everything), CancellationToken.None));
        await Assert.ThrowsAsync<GcpTransientException>(() => catalog.ListByStateAsync(CloudState.Announced, 10, CancellationToken.None));
        await Assert.ThrowsAsync<GcpTransientException>(() => catalog.CountByStateAsync(CancellationToken.None));
        await Assert.ThrowsAsync<GcpTransientException>(() => catalog.GetAsync(a.Id, CancellationToken.None));
        await Assert.ThrowsAsync<GcpTransientException>(() => catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None));
        await Assert.ThrowsAsync<GcpTransientException>(() => catalog.ListGapsAsync(new CameraKey("r1", "cam1"), DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow, CancellationToken.None));
    }
}
