using System.Globalization;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class OnDemandScheduleTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");

    public void Dispose() => _cloud.Dispose();

    [Fact]
    public async Task AnOnDemandRecording_TurnsTheCameraOnForItsDuration_AndTheHourlyCheckRemovesItOnceEnded()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-21T03:10:00Z", CultureInfo.InvariantCulture));
        var backend = new LocalBackend(_cloud.Path, clock);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog,
            o => o.Cameras[0].Schedule = new Cctv.EdgeRecorder.Configuration.ScheduleOptions { Mode = CameraSchedule.Off }, clock);
        var agent = new RecorderAgent(rig.Context);
        var requests = new OnDemandRequests(rig.Context.Paths.DataDir);

        await agent.PipelineOnceAsync(CancellationToken.None); // the hourly check runs now, with nothing to do
        Assert.False(rig.Context.Schedules.IsActive("cam1", clock.GetUtcNow()));

        OnDemandRecording request = requests.Add("cam1", clock.GetUtcNow(), TimeSpan.FromMinutes(5));
        await agent.PipelineOnceAsync(CancellationToken.None);
        Assert.True(rig.Context.Schedules.IsActive("cam1", clock.GetUtcNow()));

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(rig.Context.Schedules.IsActive("cam1", clock.GetUtcNow()));
        await agent.PipelineOnceAsync(CancellationToken.None);
        Assert.Contains(requests.ReadAll(), r => r.Id == request.Id); // ended, but the next hourly check has not come yet

        clock.Advance(TimeSpan.FromMinutes(56));
        await agent.PipelineOnceAsync(CancellationToken.None);
        Assert.Empty(requests.ReadAll());
        Assert.False(rig.Context.Schedules.IsActive("cam1", clock.GetUtcNow()));
    }
}
