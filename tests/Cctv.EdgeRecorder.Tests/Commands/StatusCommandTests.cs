using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Commands;

public sealed class StatusCommandTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public void Status_ShowsEachCameraItsBacklogTheRateTheErrors_AndShoutsADiskFullLoss()
    {
        var backend = new LocalBackend(_cloud.Path, TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog);
        List<OutboxSegment> s = Enumerable.Range(0, 6).Select(_ => rig.Seal(100_000)).ToList();
        rig.Uploaded(s[0], 1);
        rig.Uploaded(s[1], 2);
        rig.Claim(s[2]);
        rig.Outbox.MarkFailed(s[2].Id, "upload to gs://x/y: 503 backend error", DateTimeOffset.UtcNow.AddMinutes(1));
        rig.Outbox.MarkLost(s[3].Id, "disk full: evicted before upload to keep recording", [EdgeState.Sealed]);

        StatusCommand.StatusReport report = StatusCommand.Read(rig.Context.Options.DataDir, TimeProvider.System);

        StatusCommand.CameraStatus cam = Assert.Single(report.Cameras);
        Assert.Equal(("cam1", 6L, 3L, 1L), (cam.Id, cam.Segments, cam.Backlog, cam.Lost));
        Assert.True(cam.Recording, "the run is open, so the camera counts as recording");
        Assert.Equal(3, report.Backlog);
        Assert.Equal(0.2, report.UploadedPerMinute);
        Assert.Contains(report.RecentErrors, e => e.State == "failed" && e.Error.Contains("503", StringComparison.Ordinal));
        Assert.Contains(report.Alerts, a => a.StartsWith("DISK FULL", StringComparison.Ordinal));
        Assert.Equal(1, report.Outbox["lost"]);
    }
}
