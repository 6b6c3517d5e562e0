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

/// <summary>What every stage of the edge pipeline shares.</summary>
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
        Claims = new Identity.RecorderClaimGuard(this);
        ClockStates = new Clock.KernelClock(time);
    }

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

    public CameraOptions Camera(string id) => Options.Cameras.FirstOrDefault(c => c.Id == id)
        ?? new CameraOptions { Id = id, Name = id };

    public RecordingAnnouncement AnnouncementOf(OutboxSegment s) => new(
        s.Id, Options.Id, s.CameraId, Camera(s.CameraId) is { Name.Length: > 0 } cam ? cam.Name : s.CameraId, s.Run, s.Sequence,
        s.StartTime, s.EndTime, s.Size, s.Sha256, s.Crc32C, s.Md5, "video/mp4", s.ObjectName, Outbox.GetRun(s.CameraId, s.Run)?.Clock);

    /// <summary>The ID of the gap that follows the footage of a run.</summary>
    public string GapIdAfter(string cameraId, long run) => Sealer.GapIdAfter(Options.Id, cameraId, run);
}
