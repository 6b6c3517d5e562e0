using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Cameras;

/// <summary>A supervisor following a one-time window, with a stand-in FFmpeg that records nothing and stops on 'q'.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CameraSupervisorScheduleTests : IDisposable
{
    private readonly TempDir _dir = new("supervisor");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ARunStartsAndStopsAtItsWindowsEdges_NotAtTheNextOneSecondLook()
    {
        string ffmpeg = _dir.Combine("ffmpeg");
        File.WriteAllText(ffmpeg, "#!/bin/sh\nhead -c 1 > /dev/null\n"); // returns on the supervisor's 'q'
        File.SetUnixFileMode(ffmpeg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var schedule = new ScheduleOptions { Mode = CameraSchedule.Off };
        var backend = new LocalBackend(_dir.Combine("cloud"), TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog, o =>
        {
            o.Ffmpeg.Path = ffmpeg;
            o.Cameras.Add(new CameraOptions { Id = "gate", Name = "Gate", Url = "rtsp://127.0.0.1:1/gate", Schedule = schedule });
        });
        CameraOptions gate = rig.Context.Options.Cameras.Single(c => c.Id == "gate");
        CameraSupervisor supervisor = rig.Context.CreateSupervisor(gate, new ProcessRegistry(_dir.Combine("registry"), rig.Logs.CreateLogger("registry")));

        // The supervisor looks every second from when it starts: a window 0.2 s after that, 2.6 s long, has both its
        // edges well before a look (the run's own looks count from when its FFmpeg started).
        DateTimeOffset start = DateTimeOffset.UtcNow.AddSeconds(0.2);
        TimeSpan length = TimeSpan.FromSeconds(2.6);
        schedule.OneTime.Add(new OneTimeOptions { Start = start.ToString("O", System.Globalization.CultureInfo.InvariantCulture), Duration = length });
        rig.Context.Schedules.Replace(rig.Context.Options);
        using var stop = new CancellationTokenSource(length + TimeSpan.FromSeconds(2));
        await supervisor.RunAsync(stop.Token);

        CameraRun run = Assert.Single(rig.Outbox.AllRuns(), r => r.CameraId == "gate");
        Assert.Equal(CameraSupervisor.OutsideSchedule, run.EndReason);
        Assert.InRange((run.StartedAt - start).TotalSeconds, -0.001, 0.2); // times are kept to the millisecond
        Assert.InRange((run.EndedAt!.Value - (start + length)).TotalSeconds, 0, 0.2); // about 0.01 s here
    }
}
