using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// Keeps one camera recording: one FFmpeg per run, restarted with a back-off when the source drops or
/// FFmpeg stalls (its output stops growing), stopped in stages when the agent stops. Each run is
/// recorded in the outbox before FFmpeg starts and ended with the reason when it exits.
/// </summary>
public sealed class CameraSupervisor(EdgeContext context, CameraOptions camera, ProcessRegistry registry)
{
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);
    /// <summary>How long FFmpeg has to close its segment after 'q' before it is killed.</summary>
    public static readonly TimeSpan FfmpegStopWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ScheduleCheck = TimeSpan.FromMilliseconds(500);

    /// <summary>The end reason of a run stopped by the schedule (a gap with this reason is planned, not a fault).</summary>
    public const string OutsideSchedule = "outside the recording schedule";
    private readonly ILogger _log = context.Logs.CreateLogger<CameraSupervisor>();

    /// <summary>Why the last run ended, for status.</summary>
    public string? LastError { get; private set; }

    public bool IsRecording { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        int failures = 0;
        bool waiting = false;
        while (!stopping.IsCancellationRequested)
        {
            if (!context.Schedules.IsActive(camera.Id, context.Time.GetUtcNow()))
            {
                if (!waiting)
                {
                    _log.LogInformation("Camera {CameraId}: outside its recording schedule; waiting", camera.Id);
                    waiting = true;
                }
                try
                {
                    await Task.Delay(ScheduleCheck, context.Time, stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            waiting = false;
            CameraRun run = context.Outbox.StartRun(camera.Id);
            (string reason, bool producedFootage) = await RecordOneRunAsync(run, stopping);
            context.Outbox.EndRun(camera.Id, run.Run, reason);
            if (stopping.IsCancellationRequested)
            {
                break;
            }
            if (reason == OutsideSchedule)
            {
                continue;
            }
            LastError = reason;
            failures = producedFootage ? 0 : failures + 1;
            TimeSpan delay = TimeSpan.FromSeconds(Math.Min(MaxRestartDelay.TotalSeconds, Math.Pow(2, Math.Min(failures, 10))));
            _log.LogWarning("Camera {CameraId}: recording stopped ({Reason}); restarting in {Delay}", camera.Id, reason, delay);
            try
            {
                await Task.Delay(delay, context.Time, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<(string Reason, bool ProducedFootage)> RecordOneRunAsync(CameraRun run, CancellationToken stopping)
    {
        string dir = context.Paths.RunDirectory(camera.Id, run.Run);
        Directory.CreateDirectory(dir);
        IReadOnlyList<string> args = FfmpegArguments.ForRecording(camera, context.Options.SegmentSeconds, dir);
        _log.LogInformation("Camera {CameraId}: starting run {Run} from {Url}", camera.Id, run.Run, RecorderConfiguration.Redact(camera.Url));

        await using FfmpegProcess ffmpeg = FfmpegProcess.Start(context.Options.Ffmpeg.Path, args, _log, camera.Id);
        registry.Register(camera.Id, ffmpeg.Id, dir);
        try
        {
            var progress = new OutputProgress(dir, context.Time);
            while (!ffmpeg.HasExited)
            {
                if (stopping.IsCancellationRequested)
                {
                    await ffmpeg.StopAsync(FfmpegStopWait);
                    return ("recorder stopped", progress.Any);
                }
                if (!context.Schedules.IsActive(camera.Id, context.Time.GetUtcNow()))
                {
                    await ffmpeg.StopAsync(FfmpegStopWait);
                    _log.LogInformation("Camera {CameraId}: its recording window ended; run {Run} stopped", camera.Id, run.Run);
                    return (OutsideSchedule, progress.Any);
                }
                if (progress.Check() > context.Options.StallTimeout)
                {
                    ffmpeg.Kill();
                    await ffmpeg.WaitForExitAsync(CancellationToken.None);
                    return ($"camera stream stalled: no data for {context.Options.StallTimeout.TotalSeconds:F0} s", progress.Any);
                }
                IsRecording = progress.Any;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), context.Time, stopping);
                }
                catch (OperationCanceledException)
                {
                    // loop once more to stop FFmpeg
                }
            }
            progress.Check();
            if (stopping.IsCancellationRequested)
            {
                // Ctrl+C in a terminal reaches FFmpeg too, and it closes its segment by itself: still a stop, not a lost stream.
                return ("recorder stopped", progress.Any);
            }
            string why = ffmpeg.LastError is { } error ? $"camera stream lost: {RecorderConfiguration.Redact(error)}" : $"camera stream ended (FFmpeg exited with code {ffmpeg.ExitCode})";
            return (why, progress.Any);
        }
        finally
        {
            IsRecording = false;
            registry.Unregister(camera.Id);
        }
    }

    /// <summary>Watches a run directory grow; reports how long it has not.</summary>
    private sealed class OutputProgress(string directory, TimeProvider time)
    {
        private long _lastSize = -1;
        private DateTimeOffset _lastChange = time.GetUtcNow();

        public bool Any { get; private set; }

        public TimeSpan Check()
        {
            long size = 0;
            foreach (string f in Directory.EnumerateFiles(directory, "seg_*.mp4"))
            {
                size += new FileInfo(f).Length;
            }
            if (size != _lastSize)
            {
                _lastSize = size;
                _lastChange = time.GetUtcNow();
            }
            Any |= size > 0;
            return time.GetUtcNow() - _lastChange;
        }
    }
}
