using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// The on-site agent: a supervisor per camera, and one pipeline loop that seals, announces, uploads,
/// verifies and cleans up. The loop sleeps until something happens: FFmpeg opens a new segment file (the spool is
/// watched), a run ends, an upload finishes; timers remain only where time is the point (the verification back-off, the
/// heartbeat, the disk budget, the on-demand schedules, a slow safety pass). On start it makes the disk and the outbox agree again after whatever happened
/// to the previous instance (children left running are stopped, runs it never ended are ended and their
/// files adopted, uploads it had under way are due again).
/// </summary>
public sealed class RecorderAgent
{
    private static readonly TimeSpan PipelineInterval = TimeSpan.FromMilliseconds(500);
    /// <summary>How often the loop seals, announces and looks around even without an event (a missed notification, a catalog outage).</summary>
    public static readonly TimeSpan SafetyPass = TimeSpan.FromSeconds(5);
    /// <summary>How often the on-demand recordings are read into the schedule book.</summary>
    private static readonly TimeSpan ScheduleRefresh = TimeSpan.FromSeconds(1);
    /// <summary>After a segment closes, how long the sealer waits for the other cameras' segments that close at about the same time.</summary>
    private static readonly TimeSpan SealCoalesce = TimeSpan.FromMilliseconds(200);
    private readonly PipelineSignal _segmentsClosed = new();
    private readonly PipelineSignal _due = new();
    private readonly PipelineSignal _uploaded = new();
    private readonly PipelineSignal _sealedAtStop = new();
    private readonly VerifyPacing _verifyPacing = new();
    private readonly EdgeContext _context;
    private readonly ILogger _log;
    private readonly Sealer _sealer;
    private readonly Uploader _uploader;
    private readonly LiveTailer _tailer;
    private readonly CatalogSync _sync;
    private readonly SpoolScanner _scanner;
    private readonly DiskBudget _budget;
    private readonly Evidence.ManifestPublisher _evidence;
    private DateTimeOffset _nextFullScan;
    private readonly ProcessRegistry _registry;
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly Lock _runningLock = new();
    private CancellationToken _stopRecording;

    /// <summary>A camera being recorded: its supervisor, how to stop it alone, and its task.</summary>
    private sealed record Running(CameraOptions Camera, CameraSupervisor Supervisor, CancellationTokenSource Stop, Task Task);

    public RecorderAgent(EdgeContext context)
    {
        _context = context;
        _log = context.Logs.CreateLogger<RecorderAgent>();
        _sealer = context.CreateSealer();
        _uploader = context.CreateUploader(due: _due, uploaded: _uploaded);
        _tailer = context.CreateLiveTailer();
        _sync = context.CreateCatalogSync();
        _scanner = context.CreateSpoolScanner();
        _budget = context.CreateDiskBudget();
        _evidence = context.CreateManifestPublisher();
        _registry = new ProcessRegistry(context.Paths.Pids, _log);
    }

    public IReadOnlyList<CameraSupervisor> Supervisors
    {
        get
        {
            lock (_runningLock)
            {
                return _running.Values.Select(r => r.Supervisor).ToList();
            }
        }
    }

    /// <summary>The disk budget's latest check, for status.</summary>
    public DiskBudgetReport? LastDiskBudget => _budget.Last;

    /// <summary>Recovery after the previous instance, whatever state it left.</summary>
    /// <param name="recordingFollows">
    /// True when <see cref="RunAsync"/> comes next: recovery then does only what must precede the new runs (stop what the
    /// previous instance left writing, end its runs, seal their files) and leaves the uploads, announcements and manifests to
    /// the running loops, which start at once. Each second spent uploading the backlog here was a second no camera recorded:
    /// the fault test's restarts (SIGKILL every 6 to 16 s, a fifth of requests failing) spent a batch of retried uploads each.
    /// False (the <c>sync</c> command): one whole pass of every stage, as before.
    /// </param>
    public async Task RecoverAsync(CancellationToken cancellationToken, bool recordingFollows = false)
    {
        // Before anything else: an installation that reuses another one's recorder ID must not touch the cloud.
        await _context.Claims.EnsureAtStartAsync(cancellationToken);
        // Any FFmpeg still writing into our spool belongs to a previous instance (a registered child, or one started
        // in the instant before its pid file was written): it must stop before its runs are ended and sealed.
        int killed = _registry.KillLeftovers(commandLineMarker: _context.Paths.Spool + Path.DirectorySeparatorChar);
        int ended = _context.Outbox.EndOpenRuns("recorder stopped unexpectedly (killed or lost power)");
        int released = _context.Outbox.ReleaseClaims();
        _scanner.Scan(atStart: true);
        _nextFullScan = _context.Time.GetUtcNow() + _context.Options.Upload.FullScanInterval;
        if (killed + ended + released > 0)
        {
            _log.LogWarning("Recovered from an unclean stop: {Killed} FFmpeg processes stopped, {Ended} runs adopted, {Released} uploads resumed",
                killed, ended, released);
        }
        foreach (CameraOptions camera in _context.Catalog is null ? Enumerable.Empty<CameraOptions>() : _context.Options.Cameras)
        {
            try
            {
                await _context.Claims.EnsureAsync(cancellationToken);
                await _context.Catalog!.UpsertCameraAsync(new CameraInfo(camera.Id, string.IsNullOrEmpty(camera.Name) ? camera.Id : camera.Name, _context.Options.Id), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Could not register camera {CameraId} in the catalog ({Error}); will record anyway", camera.Id, e.Message);
            }
        }
        if (recordingFollows)
        {
            await Stage("seal", () => _sealer.SealAsync(cancellationToken));
            return;
        }
        await PipelineOnceAsync(cancellationToken);
    }

    /// <summary>
    /// Records until <paramref name="stopRecording"/> fires, then stops in order: each FFmpeg closes its segment ('q', a
    /// bounded wait, then a kill), what they wrote is sealed, and uploads under way or due go on until none is left or
    /// <see cref="RecorderOptions.StopGrace"/> (counted from <paramref name="stopRecording"/>) runs out, whichever is first;
    /// <paramref name="stopPipeline"/> ends that grace at once. It returns with no FFmpeg running and no upload claimed: true
    /// when the last seal sealed everything FFmpeg wrote, false when it failed (logged; the next start seals what is left).
    /// </summary>
    /// <param name="configFile">When given, a change to this file is applied while recording (see <see cref="ApplyConfiguration"/>).</param>
    public async Task<bool> RunAsync(CancellationToken stopRecording, CancellationToken stopPipeline, string? configFile = null)
    {
        bool sealedAll = true;
        using var pipelineStop = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _context.Time);
        using CancellationTokenRegistration onHurry = stopPipeline.UnsafeRegister(_ => pipelineStop.Cancel(), null);
        using CancellationTokenRegistration onStop = stopRecording.UnsafeRegister(_ => pipelineStop.CancelAfter(_context.Options.StopGrace), null);
        // Uploads stream on their own (a slot frees, the next segment goes); the rest of the pipeline runs beside them.
        _continuousUploads = _context.Options.AutoUpload;
        using var segments = new SegmentWatcher(_context.Paths.Spool, _segmentsClosed, _context.Arrivals);
        Task uploads = _continuousUploads ? UploadLoopAsync(pipelineStop.Token) : Task.CompletedTask;
        // Live tails run beside the backlog with their own loop: sealed segments waiting never delay the open ones.
        Task tails = _context.Options.AutoUpload ? _tailer.RunAsync(pipelineStop.Token) : Task.CompletedTask;
        Task pipeline = PipelineLoopAsync(pipelineStop.Token);
        Task trimming = NativeHeap.RunAsync(_context.Beat, _log, pipelineStop.Token);
        _stopRecording = stopRecording;
        Task watching = Task.CompletedTask;
        try
        {
            foreach (CameraOptions camera in _context.Options.Cameras)
            {
                Start(camera);
            }
            if (configFile is not null)
            {
                var watcher = new ConfigurationWatcher(configFile, _context.Beat, _context.Logs.CreateLogger<ConfigurationWatcher>());
                watching = watcher.RunAsync(ApplyConfiguration, stopRecording);
            }
            try
            {
                await Task.Delay(Timeout.Infinite, stopRecording);
            }
            catch (OperationCanceledException)
            {
            }
            List<Running> all;
            lock (_runningLock)
            {
                all = [.. _running.Values];
            }
            await Task.WhenAll(all.Select(r => r.Task));
            await watching;
            // Everything the cameras closed while stopping, whatever is left of the grace: sealing is local and quick,
            // and an unsealed run is what the next start would have to recover. A pass of the pipeline's own still under way
            // is waited for. A failure here (a disk error) must not cost the uploads their grace: it is said, and the next
            // start seals what is left.
            int sealedAtStop = 0;
            try
            {
                sealedAtStop = await _sealer.SealAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                sealedAll = false;
                _log.LogError("The last seal failed ({Error}); what FFmpeg wrote stays in the spool, and the next start seals it", e.Message);
            }
            if (sealedAtStop > 0)
            {
                // The pipeline and the uploader sleep until something wakes them: these last segments must be announced
                // and uploaded within the grace, not after the next safety pass or idle poll (which may be past it).
                _sealedAtStop.Set();
                _due.Set();
            }
            await FinishUploadsAsync(pipelineStop.Token);
        }
        finally
        {
            await pipelineStop.CancelAsync();
            await pipeline;
            await trimming;
            await uploads;
            await tails;
            _continuousUploads = false;
            lock (_runningLock)
            {
                foreach (Running r in _running.Values)
                {
                    r.Stop.Dispose();
                }
                _running.Clear();
            }
        }
        return sealedAll;
    }

    /// <summary>
    /// Applies a new, validated configuration while recording: schedules and the time zone at once; a camera that was
    /// added starts, one that was removed stops (its run ends and is sealed), one whose source changed restarts. Other
    /// settings take effect at the next start, which the log says.
    /// </summary>
    public void ApplyConfiguration(RecorderOptions next)
    {
        RecorderOptions current = _context.Options;
        _context.Schedules.Replace(next);
        current.TimeZone = next.TimeZone;
        var before = current.Cameras.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var after = next.Cameras.ToDictionary(c => c.Id, StringComparer.Ordinal);
        current.Cameras = next.Cameras;
        foreach ((string id, CameraOptions old) in before)
        {
            if (!after.TryGetValue(id, out CameraOptions? updated))
            {
                StopCamera(id, "camera removed from the configuration", then: null);
            }
            else if (!SameSource(old, updated))
            {
                // The new run starts only once the old FFmpeg has stopped: never two recorders for one camera.
                StopCamera(id, "camera settings changed", then: updated);
            }
        }
        foreach ((string id, CameraOptions camera) in after.Where(c => !before.ContainsKey(c.Key)))
        {
            if (!_stopRecording.IsCancellationRequested)
            {
                Start(camera);
            }
        }
        foreach (string setting in RestartOnly(current, next))
        {
            _log.LogWarning("Configuration: {Setting} changed; it takes effect when the agent restarts", setting);
        }
        _log.LogInformation("Configuration applied: {Cameras} cameras", next.Cameras.Count);
    }

    private DateTimeOffset _nextScheduleCheck = DateTimeOffset.MinValue;

    /// <summary>
    /// Reads the on-demand recordings into the schedule book (every pass), and once an hour (the seed's hourly check of
    /// expired one-time schedules) removes the on-demand ones that ended and names the configuration's one-time
    /// recordings that have expired, so they can be taken out of the file.
    /// </summary>
    private int RefreshSchedules()
    {
        var requests = new OnDemandRequests(_context.Paths.DataDir);
        _context.Schedules.SetOnDemand(requests.ReadAll());
        DateTimeOffset now = _context.Time.GetUtcNow();
        if (now < _nextScheduleCheck)
        {
            return 0;
        }
        _nextScheduleCheck = now + TimeSpan.FromHours(1);
        int expired = 0;
        foreach (OnDemandRecording r in requests.RemoveExpired(now))
        {
            _log.LogInformation("On-demand recording {RequestId} of {CameraId} ({Start:O}, {Duration}) has ended", r.Id, r.CameraId, r.Start, r.Duration);
            expired++;
        }
        foreach (CameraOptions camera in _context.Options.Cameras)
        {
            foreach (OneTimeRecording o in _context.Schedules.For(camera.Id).ExpiredAt(now))
            {
                _log.LogInformation("Camera {CameraId}: the one-time recording from {Start:O} for {Duration} has expired; it can be removed from the configuration",
                    camera.Id, o.Start, o.Duration);
                expired++;
            }
        }
        return expired;
    }

    private static bool SameSource(CameraOptions a, CameraOptions b) =>
        a.Url == b.Url && a.RtspTransport == b.RtspTransport && a.Audio == b.Audio && a.Name == b.Name;

    private static IEnumerable<string> RestartOnly(RecorderOptions a, RecorderOptions b)
    {
        if (a.Backend != b.Backend) yield return "Recorder:Backend";
        if (a.SegmentSeconds != b.SegmentSeconds) yield return "Recorder:SegmentSeconds";
        if (Path.GetFullPath(a.DataDir) != Path.GetFullPath(b.DataDir)) yield return "Recorder:DataDir";
        if (a.Id != b.Id) yield return "Recorder:Id";
        if (System.Text.Json.JsonSerializer.Serialize(a.Upload) != System.Text.Json.JsonSerializer.Serialize(b.Upload)) yield return "Recorder:Upload";
        if (System.Text.Json.JsonSerializer.Serialize(a.Gcp) != System.Text.Json.JsonSerializer.Serialize(b.Gcp)) yield return "Recorder:Gcp";
    }

    private void Start(CameraOptions camera)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopRecording);
        var supervisor = _context.CreateSupervisor(camera, _registry, runEnded: _segmentsClosed.Set);
        lock (_runningLock)
        {
            _running[camera.Id] = new Running(camera, supervisor, stop, supervisor.RunAsync(stop.Token));
        }
    }

    private void StopCamera(string id, string why, CameraOptions? then)
    {
        Running? running;
        lock (_runningLock)
        {
            running = _running.GetValueOrDefault(id);
        }
        if (running is null)
        {
            if (then is not null)
            {
                Start(then);
            }
            return;
        }
        _log.LogInformation("Camera {CameraId}: {Why}; stopping its recording", id, why);
        running.Stop.Cancel();
        // The supervisor stops FFmpeg in stages and ends the run; the pipeline seals it. Nothing here waits for it.
        _ = running.Task.ContinueWith(_ =>
        {
            lock (_runningLock)
            {
                if (_running.TryGetValue(id, out Running? current) && ReferenceEquals(current, running))
                {
                    _running.Remove(id);
                }
            }
            running.Stop.Dispose();
            if (then is not null && !_stopRecording.IsCancellationRequested)
            {
                Start(then);
            }
        }, TaskScheduler.Default);
    }

    /// <summary>
    /// After recording stopped: uploads under way or due go on until none is left or <paramref name="grace"/> ends, then a
    /// last heartbeat (the catalog's view of the backlog). Whatever is left waits in the outbox for the next start.
    /// </summary>
    private async Task FinishUploadsAsync(CancellationToken grace)
    {
        DateTimeOffset started = _context.Time.GetUtcNow();
        try
        {
            // The runs that just ended get their manifests now, signed and uploaded within the grace.
            await Stage("evidence", () => _evidence.PublishAsync(_context.Options.AutoUpload, grace));
            if (_continuousUploads)
            {
                _log.LogInformation("Recording stopped and sealed; uploads under way or due get up to {Grace} (Recorder:StopGrace, from the stop)",
                    _context.Options.StopGrace);
                while (UploadsToFinish() > 0)
                {
                    await Task.Delay(PipelineInterval, _context.Time, grace);
                }
            }
            await Stage("heartbeat", () => _sync.HeartbeatAsync(grace));
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested)
        {
        }
        int left = UploadsToFinish();
        if (left > 0)
        {
            _log.LogWarning("Stopping with {Count} segments not yet uploaded after {Waited:F1} s; they are uploaded after the next start",
                left, (_context.Time.GetUtcNow() - started).TotalSeconds);
        }
    }

    /// <summary>Segments sealed and due now, or being uploaded (not those waiting out a back-off).</summary>
    private int UploadsToFinish()
    {
        IReadOnlyDictionary<EdgeState, long> counts = _context.Outbox.CountByState();
        return (int)(counts.GetValueOrDefault(EdgeState.Sealed) + counts.GetValueOrDefault(EdgeState.Uploading));
    }

    /// <summary>Runs the pipeline until nothing is pending or <paramref name="timeout"/> passes. True when all is verified.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTimeOffset deadline = _context.Time.GetUtcNow() + timeout;
        while (_context.Time.GetUtcNow() < deadline)
        {
            await PipelineOnceAsync(cancellationToken);
            if (_context.Outbox.OldestPendingSealedAt() is null && _context.Outbox.UnsealedRuns().Count == 0)
            {
                await Stage("heartbeat", () => _sync.HeartbeatAsync(cancellationToken));
                return true;
            }
            await Task.Delay(PipelineInterval, _context.Time, cancellationToken);
        }
        return false;
    }

    private volatile bool _continuousUploads;

    private async Task UploadLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _uploader.RunAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogError(e, "The upload loop failed; it starts again in a moment");
                try
                {
                    await Task.Delay(PipelineInterval, _context.Time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// The running pipeline: sleeps until a segment closes, an upload finishes, or the next thing whose time has come
    /// (verification, heartbeat, schedules, the safety pass), then does only what that calls for. All stages but the
    /// uploads run here, one after the other, as in <see cref="PipelineOnceAsync"/>.
    /// </summary>
    private async Task PipelineLoopAsync(CancellationToken stopping)
    {
        DateTimeOffset nextSafety = _context.Time.GetUtcNow() + SafetyPass;
        DateTimeOffset nextSchedules = _context.Time.GetUtcNow();
        _verifyPacing.Uploaded(_context.Time.GetUtcNow()); // what a previous instance uploaded is asked about soon after start
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                DateTimeOffset now = _context.Time.GetUtcNow();
                bool safety = now >= nextSafety;
                if (_segmentsClosed.Consume() || safety || _sealedAtStop.Fired.IsCompleted)
                {
                    int sealedNow = 0;
                    await Stage("seal", async () => sealedNow = await _sealer.SealAsync(stopping));
                    if (sealedNow > 0)
                    {
                        _due.Set();
                    }
                    if (sealedNow > 0 || safety || _sealedAtStop.Consume())
                    {
                        await Stage("announce", () => _sync.AnnounceAsync(stopping));
                        await Stage("evidence", () => _evidence.PublishAsync(_context.Options.AutoUpload, stopping));
                    }
                }
                if (_uploaded.Consume())
                {
                    _verifyPacing.Uploaded(now);
                }
                if (_verifyPacing.IsDue(now))
                {
                    VerifyPass pass = new(0, 0, 0);
                    await Stage("verify", async () => pass = await _sync.VerifyNextPageAsync(stopping));
                    _verifyPacing.Passed(_context.Time.GetUtcNow(), pass.Asked, pass.Verified);
                    if (pass.Requeued > 0)
                    {
                        _due.Set();
                    }
                    if (pass.Verified > 0)
                    {
                        await Stage("evict", () => Task.FromResult(_sync.Evict()));
                    }
                }
                await Stage("heartbeat", () => _sync.HeartbeatIfDueAsync(stopping));
                await Stage("live sessions", () => _sync.ReportLiveSessionsIfDueAsync(stopping));
                if (now >= nextSchedules)
                {
                    nextSchedules = now + ScheduleRefresh;
                    await Stage("schedules", () => Task.FromResult(RefreshSchedules()));
                }
                if (safety)
                {
                    nextSafety = now + SafetyPass;
                    if (_context.Options.AutoUpload && !_continuousUploads)
                    {
                        await Stage("upload", () => _uploader.UploadDueAsync(stopping));
                    }
                    await Stage("disk budget", () => Task.FromResult(_budget.EnforceIfDue()));
                    if (_context.Time.GetUtcNow() >= _nextFullScan)
                    {
                        _nextFullScan = _context.Time.GetUtcNow() + _context.Options.Upload.FullScanInterval;
                        await Stage("full scan", () => Task.FromResult(_scanner.Scan(atStart: false)));
                    }
                }
                DateTimeOffset wake = Min(nextSafety, nextSchedules);
                if (_verifyPacing.Next is { } verifyAt)
                {
                    wake = Min(wake, verifyAt);
                }
                if (await PipelineSignal.WaitAnyAsync(wake - _context.Time.GetUtcNow(), _context.Beat, stopping, _segmentsClosed, _uploaded, _sealedAtStop)
                    && _segmentsClosed.Fired.IsCompleted)
                {
                    // Cameras close their segments at about the same time: one pass seals them all.
                    await _context.Beat.WaitAsync(SealCoalesce, stopping);
                }
                if (!Thread.CurrentThread.IsThreadPoolThread)
                {
                    // Ended by the beat, this loop would go on on the beat's thread (Metronome): a seal pass fsyncs and hashes,
                    // and the beat's other looks (the live tails, the cameras) must not wait for the disk.
                    await Task.Yield();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>One pass of every stage; a failing stage is logged and does not stop the others.</summary>
    public async Task PipelineOnceAsync(CancellationToken cancellationToken)
    {
        await Stage("seal", () => _sealer.SealAsync(cancellationToken));
        await Stage("announce", () => _sync.AnnounceAsync(cancellationToken));
        await Stage("evidence", () => _evidence.PublishAsync(_context.Options.AutoUpload, cancellationToken));
        if (_context.Options.AutoUpload && !_continuousUploads)
        {
            await Stage("upload", () => _uploader.UploadDueAsync(cancellationToken));
        }
        await Stage("heartbeat", () => _sync.HeartbeatIfDueAsync(cancellationToken));
        await Stage("live sessions", () => _sync.ReportLiveSessionsIfDueAsync(cancellationToken));
        await Stage("verify", () => _sync.VerifyAsync(cancellationToken));
        await Stage("evict", () => Task.FromResult(_sync.Evict()));
        await Stage("disk budget", () => Task.FromResult(_budget.EnforceIfDue()));
        await Stage("schedules", () => Task.FromResult(RefreshSchedules()));
        if (_context.Time.GetUtcNow() >= _nextFullScan)
        {
            _nextFullScan = _context.Time.GetUtcNow() + _context.Options.Upload.FullScanInterval;
            await Stage("full scan", () => Task.FromResult(_scanner.Scan(atStart: false)));
        }
    }

    private async Task Stage(string name, Func<Task> stage)
    {
        try
        {
            await stage();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogError(e, "Pipeline stage {Stage} failed; it runs again on the next pass", name);
        }
    }
}
