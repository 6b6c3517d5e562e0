using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>Where the edge keeps its files inside the data directory.</summary>
public sealed class EdgePaths(string dataDir)
{
    public string DataDir { get; } = Path.GetFullPath(dataDir);
    public string Spool => Path.Combine(DataDir, "spool");
    public string Outbox => Path.Combine(DataDir, "edge", "outbox.db");
    public string Pids => Path.Combine(DataDir, "edge", "pids");

    public string RunDirectory(string cameraId, long run) => Path.Combine(Spool, cameraId, run.ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// The recorder's composition root: its configuration, outbox, store, catalog and clock, from which the agent and the
/// commands build the pipeline's stages. The stages themselves take only what they use.
/// </summary>
public sealed class EdgeContext
{
    public EdgeContext(RecorderOptions options, IObjectStore store, string stagingBucket, ICatalog? catalog, TimeProvider time, ILoggerFactory logs)
    {
        Options = options;
        Paths = new EdgePaths(options.DataDir);
        Outbox = new OutboxStore(Paths.Outbox, time);
        Store = store;
        StagingBucket = stagingBucket;
        Catalog = catalog;
        Time = time;
        Logs = logs;
        Schedules = new Cameras.ScheduleBook(options);
        Claims = new Identity.RecorderClaimGuard(options, catalog, time, logs);
        ClockStates = new Clock.KernelClock(time);
        Beat = new Metronome(time, LiveTailer.SampleIntervalFor(options.LiveTail));
    }

    /// <summary>The one timer the periodic looks wait on (the live tailer's, the cameras', the configuration's), so they wake together.</summary>
    public Metronome Beat { get; }

    /// <summary>Where a run reads the state of the clock its segments are timed by (the kernel; a fake in tests).</summary>
    public Clock.IClockStateReader ClockStates { get; init; }

    /// <summary>This installation's claim on its recorder ID: asked for before the first announcement or upload.</summary>
    public Identity.RecorderClaimGuard Claims { get; }

    /// <summary>When each camera records (the configuration's schedules and on-demand recordings).</summary>
    public Cameras.ScheduleBook Schedules { get; }

    public RecorderOptions Options { get; }
    public EdgePaths Paths { get; }
    public OutboxStore Outbox { get; }
    public IObjectStore Store { get; }
    public string StagingBucket { get; }
    /// <summary>The cloud catalog; null when the recorder only uploads (then a segment's last state is uploaded).</summary>
    public ICatalog? Catalog { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Logs { get; }

    public Sealer CreateSealer() => new(Outbox, Paths, Options.Id, Options.Ffmpeg.ProbePath, Time, Logs, Arrivals);

    public SpoolScanner CreateSpoolScanner() => new(Outbox, Paths.Spool, Time, Logs);

    /// <summary>An uploader; the agent passes its signals, commands and tests get one woken by nothing but its own safety poll.</summary>
    public Uploader CreateUploader(PipelineSignal? due = null, PipelineSignal? uploaded = null) =>
        new(Outbox, Store, StagingBucket, Options.Id, Options.Upload, Claims, Time, Logs, due: due, uploaded: uploaded, liveTails: LiveTailLocks, beat: Beat);

    /// <summary>Shared by the live tailer and the uploaders: one turn at a time at a segment's append session.</summary>
    public LiveTailLocks LiveTailLocks { get; } = new();

    /// <summary>The spool's new segment files as the agent's watcher hears them; the tailer, the cameras' progress checks and the sealer read it.</summary>
    public SegmentArrivals Arrivals { get; } = new();

    /// <summary>The live tailer: uploads each camera's open segment as FFmpeg writes it (off when the store has no append sessions).</summary>
    public LiveTailer CreateLiveTailer() =>
        new(Outbox, Store as IAppendSessions, Paths, StagingBucket, Options.Id, Options.LiveTail, Claims, LiveTailLocks, Time, Beat, Logs, Arrivals);

    /// <param name="runEnded">Called after each of the camera's runs has ended in the outbox.</param>
    public Cameras.CameraSupervisor CreateSupervisor(CameraOptions camera, Cameras.ProcessRegistry registry, Action? runEnded = null) =>
        new(camera, Options, Schedules, Outbox, Paths, ClockStates, registry, Time, Beat, Logs, runEnded, Arrivals);

    /// <param name="interval">How often a camera's chain is signed at least; a minute unless a test shortens it.</param>
    public Evidence.ManifestPublisher CreateManifestPublisher(TimeSpan? interval = null, Func<double>? jitter = null) =>
        new(Outbox, Store, StagingBucket, Options.Id, Options.Upload, Claims, Catalog is not null, Time, Logs, interval, jitter);

    public CatalogSync CreateCatalogSync() => new(Outbox, Catalog, Claims, Options, Time, Logs);

    /// <param name="freeBytesProbe">The file system's free bytes; the drive's own unless a test pins it.</param>
    public DiskBudget CreateDiskBudget(Func<string, long>? freeBytesProbe = null, Func<string, long>? spoolWalk = null) =>
        new(Outbox, Paths.Spool, Options.DiskBudget, Time, Logs, freeBytesProbe, spoolWalk);
}
