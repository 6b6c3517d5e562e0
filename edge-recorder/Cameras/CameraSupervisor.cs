using Cctv.EdgeRecorder.Clock;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// Keeps one camera recording: one FFmpeg per run, restarted with a back-off when the source drops or
/// FFmpeg stalls (its output stops growing), stopped in stages when the agent stops. Each run is
/// recorded in the outbox before FFmpeg starts and ended with the reason when it exits.
/// </summary>
/// <param name="options">The recorder's settings a run uses: segment length, FFmpeg's path, the stall timeout, the clock-step tolerance.</param>
/// <param name="schedules">When the camera records.</param>
/// <param name="clocks">Where a run reads the state of the clock its segments are timed by.</param>
/// <param name="beat">The agent's shared timer for the regular looks (edges of the schedule keep a timer of their own).</param>
/// <param name="runEnded">Called after a run has ended in the outbox, so the sealer looks at it at once.</param>
public sealed class CameraSupervisor(CameraOptions camera, RecorderOptions options, ScheduleBook schedules, OutboxStore outbox, EdgePaths paths,
    IClockStateReader clocks, ProcessRegistry registry, TimeProvider time, Metronome beat, ILoggerFactory logs, Action? runEnded = null,
    SegmentArrivals? arrivals = null)
{
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);
    /// <summary>How long FFmpeg has to close its segment after 'q' before it is killed.</summary>
    public static readonly TimeSpan FfmpegStopWait = TimeSpan.FromSeconds(10);
    /// <summary>How often a camera outside its schedule looks whether its window has begun.</summary>
    private static readonly TimeSpan ScheduleCheck = TimeSpan.FromSeconds(1);
    /// <summary>How often a recording run checks its schedule, FFmpeg's progress (stall) and its warnings summary.</summary>
    private static readonly TimeSpan RunCheck = TimeSpan.FromSeconds(1);

    /// <summary>The end reason of a run stopped by the schedule (a gap with this reason is planned, not a fault).</summary>
    public const string OutsideSchedule = "outside the recording schedule";
    private readonly ILogger _log = logs.CreateLogger<CameraSupervisor>();
    /// <summary>For a supervisor built without the agent's watcher: nobody watches, so every check looks for the next file.</summary>
    private static readonly SegmentArrivals NoArrivals = new();
    private readonly FfmpegWarningSummary _warnings = new(camera.Id, time);

    /// <summary>The last minute's summary of FFmpeg's warnings (also kept on disk for <c>status</c>).</summary>
    public WarningSummary? LastWarnings { get; private set; }

    /// <summary>Why the last run ended, for status.</summary>
    public string? LastError { get; private set; }

    public bool IsRecording { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        int failures = 0;
        bool waiting = false;
        while (!stopping.IsCancellationRequested)
        {
            DateTimeOffset lookedAt = time.GetUtcNow();
            if (!schedules.IsActive(camera.Id, lookedAt))
            {
                if (!waiting)
                {
                    _log.LogInformation("Camera {CameraId}: outside its recording schedule; waiting", camera.Id);
                    waiting = true;
                }
                try
                {
                    await NextLookAsync(ScheduleCheck, lookedAt, stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            waiting = false;
            CameraRun run = outbox.StartRun(camera.Id, ReadClock());
            (string reason, bool producedFootage) = await RecordOneRunAsync(run, stopping);
            outbox.EndRun(camera.Id, run.Run, reason);
            runEnded?.Invoke();
            if (stopping.IsCancellationRequested)
            {
                break;
            }
            if (reason == OutsideSchedule)
            {
                continue;
            }
            if (ClockReasons.IsClockStep(reason))
            {
                _log.LogWarning("Camera {CameraId}: run {Run} ended because the clock stepped ({Reason}); a new run starts on the new clock", camera.Id, run.Run, reason);
                continue; // the camera is fine: restart at once, timed by the clock as it is now
            }
            LastError = reason;
            failures = producedFootage ? 0 : failures + 1;
            TimeSpan delay = TimeSpan.FromSeconds(Math.Min(MaxRestartDelay.TotalSeconds, Math.Pow(2, Math.Min(failures, 10))));
            _log.LogWarning("Camera {CameraId}: recording stopped ({Reason}); restarting in {Delay}", camera.Id, reason, delay);
            try
            {
                await Task.Delay(delay, time, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<(string Reason, bool ProducedFootage)> RecordOneRunAsync(CameraRun run, CancellationToken stopping)
    {
        string dir = paths.RunDirectory(camera.Id, run.Run);
        Directory.CreateDirectory(dir);
        IReadOnlyList<string> args = FfmpegArguments.ForRecording(camera, options.SegmentSeconds, dir);
        _log.LogInformation("Camera {CameraId}: starting run {Run} from {Url}", camera.Id, run.Run, RecorderConfiguration.Redact(camera.Url));

        FfmpegProcess ffmpeg = FfmpegProcess.Start(options.Ffmpeg.Path, args, _log, camera.Id, _warnings);
        var clock = new ClockStepDetector(time, options.ClockStepTolerance);
        try
        {
            registry.Register(camera.Id, ffmpeg.Id, dir);
            var progress = new OutputProgress(dir, time, arrivals ?? NoArrivals);
            while (!ffmpeg.HasExited)
            {
                if (stopping.IsCancellationRequested)
                {
                    await ffmpeg.StopAsync(FfmpegStopWait);
                    return ("recorder stopped", progress.Any);
                }
                DateTimeOffset lookedAt = time.GetUtcNow();
                if (!schedules.IsActive(camera.Id, lookedAt))
                {
                    await ffmpeg.StopAsync(FfmpegStopWait);
                    _log.LogInformation("Camera {CameraId}: its recording window ended; run {Run} stopped", camera.Id, run.Run);
                    return (OutsideSchedule, progress.Any);
                }
                if (clock.Check() is { } step)
                {
                    // The run's segments are timed from one anchor on the wall clock: those after the step would be off by it.
                    await ffmpeg.StopAsync(FfmpegStopWait);
                    return (ClockStepDetector.Reason(step), progress.Any);
                }
                if (progress.Check() > options.StallTimeout)
                {
                    ffmpeg.Kill();
                    await ffmpeg.WaitForExitAsync(CancellationToken.None);
                    return ($"camera stream stalled: no data for {options.StallTimeout.TotalSeconds:F0} s", progress.Any);
                }
                IsRecording = progress.Any;
                ReportWarnings(_warnings.TakeIfDue());
                try
                {
                    await NextLookAsync(RunCheck, lookedAt, stopping);
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
            await ffmpeg.DisposeAsync(); // its stderr is read to the end, so the summary holds its last lines
            ReportWarnings(_warnings.Take());
        }
    }

    /// <summary>
    /// Waits until the next look: on the agent's shared beat, about <paramref name="regular"/> from now, unless a window of
    /// the schedule begins or ends before that beat could come, when the wait ends at the edge itself.
    /// </summary>
    private Task NextLookAsync(TimeSpan regular, DateTimeOffset lookedAt, CancellationToken stopping) =>
        UntilEdge(schedules, camera.Id, regular, beat.Beat, lookedAt, time.GetUtcNow()) is { } exact
            ? Task.Delay(exact, time, stopping)
            : beat.WaitAsync(regular, stopping);

    /// <summary>
    /// The exact wait to the camera's next schedule edge when it comes within the regular interval and a beat (a beat can
    /// end a wait up to half a beat late, and a timer fires a little later still); null when the regular look comes first.
    /// </summary>
    internal static TimeSpan? UntilEdge(ScheduleBook schedules, string cameraId, TimeSpan regular, TimeSpan beat, DateTimeOffset lookedAt, DateTimeOffset now)
    {
        TimeSpan latest = regular + beat;
        TimeSpan wait = UntilNextLook(schedules, cameraId, latest, lookedAt, now);
        return wait < latest ? wait : null;
    }

    /// <summary>
    /// How long to wait before looking again: the regular interval, or less when a window of the camera's schedule
    /// begins or ends sooner, so a recording starts and stops at its window's edges and not up to a look later. The next
    /// edge is the one after <paramref name="lookedAt"/>, when the schedule was last read: an edge that passed since
    /// (a busy machine, a timer that fired a hair early) means looking again at once, not waiting for the edge after it.
    /// </summary>
    internal static TimeSpan UntilNextLook(ScheduleBook schedules, string cameraId, TimeSpan regular, DateTimeOffset lookedAt, DateTimeOffset now)
    {
        if (schedules.NextChangeAfter(cameraId, lookedAt) is not { } change || change - now >= regular)
        {
            return regular;
        }
        return change > now ? change - now : TimeSpan.Zero;
    }

    /// <summary>The clock's state for a new run; an unsynchronised clock is logged, since every time of the run is as good as it.</summary>
    private ClockState ReadClock()
    {
        ClockState state = clocks.Read();
        if (!state.Synchronised)
        {
            _log.LogWarning("Camera {CameraId}: the recorder's clock is not synchronised ({Source}, max error {MaxError}); segment times are only as good as it",
                camera.Id, state.Source, state.MaxError);
        }
        return state;
    }

    /// <summary>One log line for a window of FFmpeg's warnings, and the summary kept for <c>status</c>.</summary>
    private void ReportWarnings(WarningSummary? summary)
    {
        if (summary is null)
        {
            return;
        }
        LastWarnings = summary;
        _log.LogWarning("Camera {CameraId}: FFmpeg warned {Count} times in {Seconds:F0} s: {Summary}",
            camera.Id, summary.Total, (summary.To - summary.From).TotalSeconds, summary.Describe());
        try
        {
            FfmpegWarningSummary.Save(paths.DataDir, summary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("Camera {CameraId}: could not keep the FFmpeg warnings summary for status ({Error})", camera.Id, e.Message);
        }
    }

    /// <summary>
    /// Watches a run's output grow; reports how long it has not. Only the newest segment is looked at (FFmpeg writes
    /// nothing else): a check costs a stat, however many segments the run has made, and a second one for the next file only
    /// when the spool's watcher heard of a new file in the run's directory (<see cref="SegmentArrivals"/>) or the newest
    /// did not grow since the last check: a stall is never declared on a file FFmpeg has left, whatever the watcher missed.
    /// </summary>
    internal sealed class OutputProgress(string directory, TimeProvider time, SegmentArrivals arrivals)
    {
        private long _segment;
        private long _lastSize = -1;
        private bool _grew;
        private SegmentArrivals.Mark? _looked;
        private DateTimeOffset _lastChange = time.GetUtcNow();

        public bool Any { get; private set; }

        public TimeSpan Check()
        {
            SegmentArrivals.Mark mark = arrivals.MarkOf(directory);
            if (mark != _looked || !_grew)
            {
                while (File.Exists(SegmentPath(_segment + 1)))
                {
                    _segment++; // a new segment: the run went on
                    _lastSize = -1;
                }
                _looked = mark;
            }
            var current = new FileInfo(SegmentPath(_segment));
            long size = current.Exists ? current.Length : 0;
            _grew = size != _lastSize;
            if (_grew)
            {
                _lastSize = size;
                _lastChange = time.GetUtcNow();
            }
            Any |= size > 0 || _segment > 0;
            return time.GetUtcNow() - _lastChange;
        }

        private string SegmentPath(long sequence) => FfmpegArguments.SegmentFile(directory, sequence);
    }
}
