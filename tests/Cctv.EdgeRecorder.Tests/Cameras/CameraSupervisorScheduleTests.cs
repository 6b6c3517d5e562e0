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

        // Three windows of 1.3 s, 0.7 s apart. Were the supervisor to look only once a second, counted from when it began
        // to wait or its run began, the first window would start about 0.8 s late and every run would stop 0.7 s late or more.
        DateTimeOffset first = DateTimeOffset.UtcNow.AddSeconds(0.2);
        TimeSpan length = TimeSpan.FromSeconds(1.3);
        DateTimeOffset[] starts = [first, first.AddSeconds(2), first.AddSeconds(4)];
        foreach (DateTimeOffset start in starts)
        {
            schedule.OneTime.Add(new OneTimeOptions { Start = start.ToString("O", System.Globalization.CultureInfo.InvariantCulture), Duration = length });
        }
        rig.Context.Schedules.Replace(rig.Context.Options);
        using var stop = new CancellationTokenSource(starts[^1] + length + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow);
        await supervisor.RunAsync(stop.Token);

        List<CameraRun> runs = [.. rig.Outbox.AllRuns().Where(r => r.CameraId == "gate").OrderBy(r => r.Run)];
        Assert.Equal(3, runs.Count);
        for (int i = 0; i < runs.Count; i++)
        {
            Assert.Equal(CameraSupervisor.OutsideSchedule, runs[i].EndReason);
            Assert.InRange((runs[i].StartedAt - starts[i]).TotalSeconds, -0.001, 0.3); // times are kept to the millisecond
            Assert.InRange((runs[i].EndedAt!.Value - (starts[i] + length)).TotalSeconds, 0, 0.3); // about 0.01 s here
        }
    }
}
