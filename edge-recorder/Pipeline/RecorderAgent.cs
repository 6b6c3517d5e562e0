using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Cameras;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// The on-site agent: a supervisor per camera, and one pipeline loop that seals, announces, uploads,
/// verifies and cleans up. On start it makes the disk and the outbox agree again after whatever happened
/// to the previous instance (children left running are stopped, runs it never ended are ended and their
/// files adopted, uploads it had under way are due again).
/// </summary>
public sealed class RecorderAgent
{
    private static readonly TimeSpan PipelineInterval = TimeSpan.FromMilliseconds(500);
    private readonly EdgeContext _context;
    private readonly ILogger _log;
    private readonly Sealer _sealer;
    private readonly Uploader _uploader;
    private readonly CatalogSync _sync;
    private readonly SpoolScanner _scanner;
    private readonly DiskBudget _budget;
    private DateTimeOffset _nextFullScan;
    private readonly ProcessRegistry _registry;
    private readonly List<CameraSupervisor> _supervisors;

    public RecorderAgent(EdgeContext context)
    {
        _context = context;
        _log = context.Logs.CreateLogger<RecorderAgent>();
        _sealer = new Sealer(context);
        _uploader = new Uploader(context);
        _sync = new CatalogSync(context);
        _scanner = new SpoolScanner(context);
        _budget = new DiskBudget(context);
        _registry = new ProcessRegistry(context.Paths.Pids, _log);
        _supervisors = context.Options.Cameras.Select(c => new CameraSupervisor(context, c, _registry)).ToList();
    }

    public IReadOnlyList<CameraSupervisor> Supervisors => _supervisors;

    /// <summary>The disk budget's latest check, for status.</summary>
    public DiskBudgetReport? LastDiskBudget => _budget.Last;

    /// <summary>Recovery after the previous instance, whatever state it left.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
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
                await _context.Catalog!.UpsertCameraAsync(new CameraInfo(camera.Id, string.IsNullOrEmpty(camera.Name) ? camera.Id : camera.Name, _context.Options.Id), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Could not register camera {CameraId} in the catalog ({Error}); will record anyway", camera.Id, e.Message);
            }
        }
        await PipelineOnceAsync(cancellationToken);
    }

    /// <summary>Records until <paramref name="stopRecording"/> fires; the pipeline keeps running until <paramref name="stopPipeline"/>.</summary>
    public async Task RunAsync(CancellationToken stopRecording, CancellationToken stopPipeline)
    {
        using var pipelineStop = CancellationTokenSource.CreateLinkedTokenSource(stopPipeline);
        Task pipeline = PipelineLoopAsync(pipelineStop.Token);
        try
        {
            await Task.WhenAll(_supervisors.Select(s => s.RunAsync(stopRecording)));
            await _sealer.SealAsync(stopPipeline); // everything the cameras closed while stopping
        }
        finally
        {
            await pipelineStop.CancelAsync();
            await pipeline;
        }
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
                return true;
            }
            await Task.Delay(PipelineInterval, _context.Time, cancellationToken);
        }
        return false;
    }

    private async Task PipelineLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await PipelineOnceAsync(stopping);
                await Task.Delay(PipelineInterval, _context.Time, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass of every stage; a failing stage is logged and does not stop the others.</summary>
    public async Task PipelineOnceAsync(CancellationToken cancellationToken)
    {
        await Stage("seal", () => _sealer.SealAsync(cancellationToken));
        await Stage("announce", () => _sync.AnnounceAsync(cancellationToken));
        if (_context.Options.AutoUpload)
        {
            await Stage("upload", () => _uploader.UploadDueAsync(cancellationToken));
        }
        await Stage("heartbeat", () => _sync.HeartbeatIfDueAsync(cancellationToken));
        await Stage("verify", () => _sync.VerifyAsync(cancellationToken));
        await Stage("evict", () => Task.FromResult(_sync.Evict()));
        await Stage("disk budget", () => Task.FromResult(_budget.EnforceIfDue()));
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
