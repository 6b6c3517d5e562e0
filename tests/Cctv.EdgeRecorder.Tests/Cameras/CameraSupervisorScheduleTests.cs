using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Cameras;

/// <summary>
/// Tests that time the supervisor to a fraction of a second run alone, after the rest of the project: next to the other
/// tests, the thread pool of this one process runs timer callbacks up to two seconds late.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive";
}

/// <summary>A supervisor following one-time windows, with a stand-in FFmpeg that records nothing and stops on 'q'.</summary>
[Collection(TimingSensitive.Name)]
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

        // Three windows of 1.3 s, 1.5 s apart, the first 1.5 s from now (what the process has yet to load and compile happens
        // before it). Were the supervisor to look only once a second, counted from when it began to wait or its run began,
        // each window would start 0.5 s late and each run stop 0.7 s late or more.
        // The test process holds what the tests before this one left: a collection of it now, not during the windows.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        DateTimeOffset first = DateTimeOffset.UtcNow.AddSeconds(1.5);
        TimeSpan length = TimeSpan.FromSeconds(1.3);
        DateTimeOffset[] starts = [first, first.AddSeconds(2.8), first.AddSeconds(5.6)];
        foreach (DateTimeOffset start in starts)
        {
            schedule.OneTime.Add(new OneTimeOptions { Start = start.ToString("O", System.Globalization.CultureInfo.InvariantCulture), Duration = length });
        }
        rig.Context.Schedules.Replace(rig.Context.Options);
        using var stop = new CancellationTokenSource(starts[^1] + length + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow);
        await supervisor.RunAsync(stop.Token);

        List<CameraRun> runs = [.. rig.Outbox.AllRuns().Where(r => r.CameraId == "gate").OrderBy(r => r.Run)];
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(CameraSupervisor.OutsideSchedule, r.EndReason));
        // The median edge: about 0.01 s late here; a busy machine can hold up one timer now and then (times are kept to the ms).
        Assert.InRange(Median(runs.Select((r, i) => (r.StartedAt - starts[i]).TotalSeconds)), -0.001, 0.4);
        Assert.InRange(Median(runs.Select((r, i) => (r.EndedAt!.Value - (starts[i] + length)).TotalSeconds)), 0, 0.4);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
