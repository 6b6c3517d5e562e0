using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
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
        rig.Outbox.MarkUploaded(s[0].Id, 1);
        var sync = new CatalogSync(rig.Context);

        Assert.True(await sync.HeartbeatIfDueAsync(CancellationToken.None));
        Assert.False(await sync.HeartbeatIfDueAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(await sync.HeartbeatIfDueAsync(CancellationToken.None));

        RecorderStatus recorder = Assert.Single(await backend.Catalog.ListRecordersAsync(CancellationToken.None));
        Assert.Equal(("site", 2L, 2000L), (recorder.RecorderId, recorder.Heartbeat.BacklogSegments, recorder.Heartbeat.BacklogBytes));
        Assert.Equal(clock.GetUtcNow(), recorder.Heartbeat.SentAt);
    }
}
