namespace Cctv.EdgeRecorder.Configuration;

/// <summary>The agent's configuration: the "Recorder" section of its JSON file, overridable from the environment.</summary>
public sealed class RecorderOptions
{
    public const string Section = "Recorder";

    /// <summary>This recorder's ID; part of every recording ID, so it must never change on a site.</summary>
    public string Id { get; set; } = "recorder";

    /// <summary>The site's time zone (IANA, e.g. Europe/Paris): weekly schedule windows are in its wall-clock time.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Spool, outbox and (on the embedded backend) the local cloud live here.</summary>
    public string DataDir { get; set; } = "";

    /// <summary><c>local</c> (embedded, the default) or <c>gcp</c>.</summary>
    public string Backend { get; set; } = "local";

    /// <summary>
    /// On the embedded backend, the data directory whose <c>cloud/</c> folder is the local cloud (buckets, catalog),
    /// when it is not <see cref="DataDir"/>: a functions host serving another directory, or a test that destroys the
    /// recorder's own disk while the cloud survives. Empty: <see cref="DataDir"/>.
    /// </summary>
    public string LocalBackendDir { get; set; } = "";

    /// <summary>The data directory of the embedded backend's cloud.</summary>
    public string LocalCloudDataDir => string.IsNullOrWhiteSpace(LocalBackendDir) ? DataDir : LocalBackendDir;

    /// <summary>Length of each segment, in seconds.</summary>
    public int SegmentSeconds { get; set; } = 300;

    /// <summary>Remove local files once the catalog says archived (seed: GCP_STORAGE_CLEANUP_LOCAL).</summary>
    public bool CleanupLocal { get; set; }

    /// <summary>Upload segments as soon as they are sealed (seed: GCP_STORAGE_AUTO_UPLOAD).</summary>
    public bool AutoUpload { get; set; } = true;

    /// <summary>How often the recorder tells the catalog it is alive, with its upload backlog.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>FFmpeg is restarted when its output has not grown for this long.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A run ends, and a new one starts, when the wall clock moves this much against the monotonic clock during it
    /// (someone set the clock, NTP stepped it): its segments are timed from one anchor, so they would be off by the step.
    /// </summary>
    public TimeSpan ClockStepTolerance { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a stop (SIGTERM, Ctrl+C) takes, counted from the signal: FFmpeg closes its segment (it gets up to
    /// <see cref="Cctv.EdgeRecorder.Cameras.CameraSupervisor.FfmpegStopWait"/> of this before it is killed), the last segments are sealed,
    /// and uploads under way or due continue until done or this runs out; the rest go after the next start. The
    /// systemd unit's <c>TimeoutStopSec</c> must be longer.
    /// </summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(30);

    public List<CameraOptions> Cameras { get; set; } = [];

    public UploadOptions Upload { get; set; } = new();

    public FfmpegOptions Ffmpeg { get; set; } = new();

    public GcpOptions Gcp { get; set; } = new();

    public DiskBudgetOptions DiskBudget { get; set; } = new();

    public LiveTailOptions LiveTail { get; set; } = new();
}

/// <summary>
/// Live tails: each camera's open segment is uploaded while FFmpeg writes it (an append session), so that a recorder
/// destroyed mid-segment takes with it only the last seconds (docs/live-tail.md). Sealing finishes the same session.
/// </summary>
public sealed class LiveTailOptions
{
    /// <summary>On by default; off: segments go up only after sealing.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The longest whole quanta of what FFmpeg wrote wait before they are sent: the open segment is looked at eight times in
    /// this interval (at most every 0.25 s), and what is whole goes at each look.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A camera's tail falls back to uploading after sealing when footage written this long ago is still unsent (the
    /// uplink cannot keep up); its next segment tries again.
    /// </summary>
    public TimeSpan FallBackAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the live sessions (their URIs and confirmed offsets) are reported to the catalog when anything changed.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// How much of the disk the spool may use. When it nears the limit, safe copies go first (verified, then already
/// in the bucket), oldest first; only then the oldest footage not yet uploaded, which is recorded as lost ("disk full").
/// </summary>
public sealed class DiskBudgetOptions
{
    /// <summary>Most bytes the spool may hold; unset: only the free-space floor applies.</summary>
    public long? MaxBytes { get; set; }

    /// <summary>Free space to keep on the spool's file system, whatever the spool holds.</summary>
    public long MinFreeBytes { get; set; } = 1L << 30;

    /// <summary>How often the budget is checked.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The <c>gcp</c> backend's settings (seed: GCP_STORAGE_PROJECT_ID, GCP_STORAGE_BUCKET_NAME, GCP_STORAGE_CREDENTIALS_PATH).</summary>
public sealed class GcpOptions
{
    public string ProjectId { get; set; } = "";

    /// <summary>The staging bucket the edge uploads into.</summary>
    public string StagingBucket { get; set; } = "";

    /// <summary>A service-account key file; unset: application default credentials.</summary>
    public string? CredentialsPath { get; set; }

    /// <summary>The JSON API's address; unset: Cloud Storage itself, or the emulator that STORAGE_EMULATOR_HOST names (then without credentials).</summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// Where recordings are announced and verified: <c>firestore</c> (with the cloud functions deployed), or <c>none</c>:
    /// upload only, where a segment's journey ends when Cloud Storage has confirmed its CRC32C.
    /// </summary>
    public string Catalog { get; set; } = "firestore";

    /// <summary>No credentials at all: only for an emulator or a test server at <see cref="Endpoint"/>.</summary>
    public bool Anonymous { get; set; }

    /// <summary>The Firestore database of the catalog.</summary>
    public string FirestoreDatabase { get; set; } = "(default)";
}

public sealed class CameraOptions
{
    /// <summary>Stable ID (a-z, 0-9, '-', '_'): part of recording IDs and object names.</summary>
    public string Id { get; set; } = "";

    /// <summary>What people call it ("Front gate").</summary>
    public string Name { get; set; } = "";

    /// <summary>rtsp://, rtsps://, http://, https://, srt://, udp:// or tcp://.</summary>
    public string Url { get; set; } = "";

    /// <summary>For RTSP: <c>tcp</c> (interleaved, the robust default for cameras) or <c>udp</c>.</summary>
    public string RtspTransport { get; set; } = "tcp";

    /// <summary>Keep the first audio track too (its codec must fit in MP4).</summary>
    public bool Audio { get; set; }

    /// <summary>When to record: continuously (the default), in weekly windows, or only in one-time recordings.</summary>
    public ScheduleOptions Schedule { get; set; } = new();
}

/// <summary>A camera's recording schedule, in the site's time zone (Recorder:TimeZone).</summary>
public sealed class ScheduleOptions
{
    /// <summary><c>continuous</c>, <c>weekly</c> (only inside <see cref="Windows"/>) or <c>off</c> (only one-time recordings).</summary>
    public string Mode { get; set; } = "continuous";

    /// <summary>Weekly windows: days ("Mon-Fri", "Sat,Sun", "daily") and local start and end ("22:00" to "06:00" crosses midnight).</summary>
    public List<WeeklyWindowOptions> Windows { get; set; } = [];

    /// <summary>One-time recordings (a start with its offset, and a duration); they expire by themselves.</summary>
    public List<OneTimeOptions> OneTime { get; set; } = [];
}

public sealed class WeeklyWindowOptions
{
    public string Days { get; set; } = "daily";

    public string Start { get; set; } = "";

    public string End { get; set; } = "";
}

public sealed class OneTimeOptions
{
    /// <summary>ISO 8601 with an offset, e.g. 2026-11-21T22:00:00+01:00.</summary>
    public string Start { get; set; } = "";

    public TimeSpan Duration { get; set; }
}

public sealed class UploadOptions
{
    /// <summary>Segments uploaded at once.</summary>
    public int Parallelism { get; set; } = 2;

    /// <summary>Attempts per upload before the segment is handed to the background sync (seed: 3).</summary>
    public int RetryAttempts { get; set; } = 3;

    /// <summary>First retry delay, doubled each time: 5 s, 10 s, 20 s (seed: GCP_STORAGE_RETRY_DELAY).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait before a failed segment is tried again by the background sync.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Per-upload timeout; unset: 5 minutes under 100 MB, 10 minutes above (seed: GCP_STORAGE_UPLOAD_TIMEOUT).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Longest a single request (one chunk, one status query) may take before it is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Segments up to this size go up in one request instead of a resumable session (0: always resumable).</summary>
    public long SingleRequestMaxBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Bytes per resumable chunk, a multiple of 256 KiB.</summary>
    public int ChunkBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Upload bandwidth cap over all uploads, bytes per second; unset: none.</summary>
    public long? MaxBytesPerSecond { get; set; }

    /// <summary>How often the background sync compares the spool with the outbox in full (files with no row, rows with no file).</summary>
    public TimeSpan FullScanInterval { get; set; } = TimeSpan.FromMinutes(30);
}

public sealed class FfmpegOptions
{
    public string Path { get; set; } = "ffmpeg";

    public string ProbePath { get; set; } = "ffprobe";
}
