using System.Globalization;
using System.Text.RegularExpressions;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Configuration;

namespace Cctv.EdgeRecorder.Configuration;

/// <summary>A configuration that cannot run, with every problem found, each naming its key and the fix.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> problems)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Loads, maps and validates <see cref="RecorderOptions"/>.</summary>
public static class RecorderConfiguration
{
    private static readonly string[] Schemes = ["rtsp", "rtsps", "http", "https", "srt", "udp", "tcp", "rtmp", "file"];

    /// <summary>The seed documents' environment names, and the keys they set.</summary>
    private static readonly (string Env, string Key, Func<string, string> Convert)[] SeedVariables =
    [
        ("GCP_STORAGE_CLEANUP_LOCAL", "Recorder:CleanupLocal", v => v),
        ("GCP_STORAGE_AUTO_UPLOAD", "Recorder:AutoUpload", v => v),
        ("GCP_STORAGE_RETRY_ATTEMPTS", "Recorder:Upload:RetryAttempts", v => v),
        ("GCP_STORAGE_RETRY_DELAY", "Recorder:Upload:RetryDelay", Seconds),
        ("GCP_STORAGE_UPLOAD_TIMEOUT", "Recorder:Upload:Timeout", Seconds),
        ("GCP_STORAGE_USE_GCS", "Recorder:Backend", v => bool.TryParse(v, out bool gcs) ? (gcs ? "gcp" : "local") : v),
        ("GCP_STORAGE_BUCKET_NAME", "Recorder:Gcp:StagingBucket", v => v),
        ("GCP_STORAGE_PROJECT_ID", "Recorder:Gcp:ProjectId", v => v),
        ("GCP_STORAGE_CREDENTIALS_PATH", "Recorder:Gcp:CredentialsPath", v => v),
    ];

    /// <summary>
    /// Reads the JSON file (if any), then <c>CCTV_</c>-prefixed environment variables
    /// (<c>CCTV_Recorder__SegmentSeconds</c>), then the seed names, then <paramref name="overrides"/>.
    /// </summary>
    public static RecorderOptions Load(string? configFile, IReadOnlyDictionary<string, string?>? overrides = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new ConfigurationException([$"--config: the file '{configFile}' does not exist. Fix: pass the path of the agent's JSON configuration."]);
            }
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }
        builder.AddInMemoryCollection(environment
            .Where(e => e.Key.StartsWith("CCTV_", StringComparison.Ordinal) && e.Key.Contains("__", StringComparison.Ordinal))
            .Select(e => new KeyValuePair<string, string?>(e.Key["CCTV_".Length..].Replace("__", ":", StringComparison.Ordinal), e.Value)));
        builder.AddInMemoryCollection(SeedVariables
            .Where(s => environment.TryGetValue(s.Env, out string? v) && !string.IsNullOrWhiteSpace(v))
            .Select(s => new KeyValuePair<string, string?>(s.Key, s.Convert(environment[s.Env]!))));
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        IConfiguration configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException([$"--config: '{configFile}' is not valid JSON: {e.InnerException?.Message ?? e.Message}"]);
        }
        RecorderOptions options;
        try
        {
            options = configuration.GetSection(RecorderOptions.Section).Get<RecorderOptions>(o => o.ErrorOnUnknownConfiguration = true) ?? new RecorderOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException([$"{e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : "")}"]);
        }
        Validate(options);
        return options;
    }

    /// <summary>Throws <see cref="ConfigurationException"/> listing every problem; also checks the data directory can be written.</summary>
    public static void Validate(RecorderOptions o)
    {
        var problems = new List<string>();
        if (!Identifiers.IsValidSlug(o.Id))
        {
            problems.Add($"Recorder:Id '{o.Id}' is not valid: use {Identifiers.SlugRule}.");
        }
        if (o.Backend is not ("local" or "gcp"))
        {
            problems.Add($"Recorder:Backend '{o.Backend}' is unknown: use 'local' (embedded) or 'gcp'.");
        }
        else if (o.Backend == "gcp")
        {
            if (string.IsNullOrWhiteSpace(o.Gcp.StagingBucket))
            {
                problems.Add("Recorder:Gcp:StagingBucket is empty: name the staging bucket the recorder uploads into (GCP_STORAGE_BUCKET_NAME; terraform prints it as staging_bucket).");
            }
            if (o.Gcp.Endpoint is { Length: > 0 } endpoint && !(Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? e) && e.Scheme is "http" or "https"))
            {
                problems.Add($"Recorder:Gcp:Endpoint '{endpoint}' is not an http(s) URL: leave it out for Cloud Storage itself.");
            }
            if (o.Gcp.Catalog is not ("firestore" or "none"))
            {
                problems.Add($"Recorder:Gcp:Catalog '{o.Gcp.Catalog}' is unknown: use 'firestore' (with the cloud functions) or 'none' (upload only).");
            }
            else if (o.Gcp.Catalog == "firestore" && string.IsNullOrWhiteSpace(o.Gcp.ProjectId))
            {
                problems.Add("Recorder:Gcp:ProjectId is empty: the Firestore catalog lives in a project (GCP_STORAGE_PROJECT_ID; terraform's project_id), or set Recorder:Gcp:Catalog to 'none' to upload only.");
            }
        }
        if (o.Upload.ChunkBytes < 256 * 1024 || o.Upload.ChunkBytes % (256 * 1024) != 0)
        {
            problems.Add($"Recorder:Upload:ChunkBytes is {o.Upload.ChunkBytes}: use a multiple of 262144 (256 KiB), e.g. 8388608.");
        }
        if (o.Upload.SingleRequestMaxBytes < 0)
        {
            problems.Add($"Recorder:Upload:SingleRequestMaxBytes is {o.Upload.SingleRequestMaxBytes}: use 0 (always resumable) or a size in bytes.");
        }
        if (o.Upload.MaxBytesPerSecond is <= 0)
        {
            problems.Add($"Recorder:Upload:MaxBytesPerSecond is {o.Upload.MaxBytesPerSecond}: give a positive number of bytes per second, or leave it out for no cap.");
        }
        if (o.Upload.RequestTimeout < TimeSpan.FromSeconds(1))
        {
            problems.Add($"Recorder:Upload:RequestTimeout is {o.Upload.RequestTimeout}: give each request at least 00:00:01.");
        }
        if (o.HeartbeatInterval < TimeSpan.FromSeconds(1) || o.HeartbeatInterval > TimeSpan.FromHours(1))
        {
            problems.Add($"Recorder:HeartbeatInterval is {o.HeartbeatInterval}: use 00:00:01 to 01:00:00 (the sweep calls a recorder offline after a few missed ones).");
        }
        if (o.DiskBudget.MaxBytes is < 1024 * 1024)
        {
            problems.Add($"Recorder:DiskBudget:MaxBytes is {o.DiskBudget.MaxBytes}: give the spool at least 1048576 bytes (several segments' worth is the sensible minimum), or leave it out.");
        }
        if (o.DiskBudget.MinFreeBytes < 0)
        {
            problems.Add($"Recorder:DiskBudget:MinFreeBytes is {o.DiskBudget.MinFreeBytes}: use 0 or more bytes.");
        }
        if (o.DiskBudget.CheckInterval < TimeSpan.FromMilliseconds(100))
        {
            problems.Add($"Recorder:DiskBudget:CheckInterval is {o.DiskBudget.CheckInterval}: use at least 00:00:00.1.");
        }
        if (o.Upload.FullScanInterval < TimeSpan.FromSeconds(10))
        {
            problems.Add($"Recorder:Upload:FullScanInterval is {o.Upload.FullScanInterval}: use at least 00:00:10 (the default is 00:30:00).");
        }
        if (o.SegmentSeconds is < 1 or > 3600)
        {
            problems.Add($"Recorder:SegmentSeconds is {o.SegmentSeconds}: a segment lasts from 1 to 3600 seconds (300 is the usual choice).");
        }
        if (o.StallTimeout < TimeSpan.FromSeconds(2))
        {
            problems.Add($"Recorder:StallTimeout is {o.StallTimeout}: give FFmpeg at least 00:00:02 before it is restarted.");
        }
        if (o.ClockStepTolerance < TimeSpan.FromMilliseconds(100) || o.ClockStepTolerance > TimeSpan.FromHours(1))
        {
            problems.Add($"Recorder:ClockStepTolerance is {o.ClockStepTolerance}: use 00:00:00.1 to 01:00:00 (the default is 00:00:01).");
        }
        if (o.StopGrace < Cctv.EdgeRecorder.Cameras.CameraSupervisor.FfmpegStopWait || o.StopGrace > TimeSpan.FromMinutes(10))
        {
            problems.Add($"Recorder:StopGrace is {o.StopGrace}: use {Cctv.EdgeRecorder.Cameras.CameraSupervisor.FfmpegStopWait:c} (FFmpeg's time to close its segment) to 00:10:00, " +
                "and keep the systemd unit's TimeoutStopSec longer.");
        }
        if (o.Upload.Parallelism is < 1 or > 64)
        {
            problems.Add($"Recorder:Upload:Parallelism is {o.Upload.Parallelism}: use 1 to 64.");
        }
        if (o.Upload.RetryAttempts is < 1 or > 20)
        {
            problems.Add($"Recorder:Upload:RetryAttempts is {o.Upload.RetryAttempts}: use 1 to 20 (the seed documents use 3).");
        }
        if (o.Upload.RetryDelay < TimeSpan.Zero || o.Upload.RetryDelay > TimeSpan.FromMinutes(10))
        {
            problems.Add($"Recorder:Upload:RetryDelay is {o.Upload.RetryDelay}: use 00:00:00 to 00:10:00 (the seed documents use 5 seconds).");
        }
        if (o.Upload.Timeout is { } t && t <= TimeSpan.Zero)
        {
            problems.Add($"Recorder:Upload:Timeout is {t}: it must be positive, or left out for the size-based default.");
        }
        if (o.LiveTail.FlushInterval < TimeSpan.FromMilliseconds(100) || o.LiveTail.FlushInterval > TimeSpan.FromMinutes(1))
        {
            problems.Add($"Recorder:LiveTail:FlushInterval is {o.LiveTail.FlushInterval}: use 00:00:00.1 to 00:01:00 (the default is 00:00:02).");
        }
        if (o.LiveTail.FallBackAfter < o.LiveTail.FlushInterval + o.LiveTail.FlushInterval || o.LiveTail.FallBackAfter > TimeSpan.FromHours(1))
        {
            problems.Add($"Recorder:LiveTail:FallBackAfter is {o.LiveTail.FallBackAfter}: use at least twice Recorder:LiveTail:FlushInterval ({o.LiveTail.FlushInterval}) " +
                "and at most 01:00:00 (the default is 00:00:30).");
        }
        if (o.LiveTail.ReportInterval < TimeSpan.FromSeconds(1) || o.LiveTail.ReportInterval > TimeSpan.FromMinutes(10))
        {
            problems.Add($"Recorder:LiveTail:ReportInterval is {o.LiveTail.ReportInterval}: use 00:00:01 to 00:10:00 (the default is 00:00:05; the cloud salvages from what it last heard).");
        }
        if (o.Cameras.Count == 0)
        {
            problems.Add("Recorder:Cameras is empty: add at least one camera with an Id, a Name and a Url.");
        }
        TimeZoneInfo zone = Cameras.CameraSchedule.ResolveZone(o.TimeZone, problems);
        for (int i = 0; i < o.Cameras.Count; i++)
        {
            CameraOptions c = o.Cameras[i];
            string key = $"Recorder:Cameras:{i}";
            Cameras.CameraSchedule.Parse(c.Schedule, zone, $"{key}:Schedule", problems);
            if (!Identifiers.IsValidSlug(c.Id))
            {
                problems.Add($"{key}:Id '{c.Id}' is not valid: use {Identifiers.SlugRule}.");
            }
            if (SchemeOf(c.Url) is not { } urlScheme || !Schemes.Contains(urlScheme))
            {
                string scheme = c.Url.Contains("://", StringComparison.Ordinal) ? c.Url[..c.Url.IndexOf("://", StringComparison.Ordinal)] : "(none)";
                problems.Add($"{key}:Url '{Redact(c.Url)}' has an unknown scheme '{scheme}': use one of {string.Join(", ", Schemes.Select(s => s + "://"))}.");
            }
            if (c.RtspTransport is not ("tcp" or "udp"))
            {
                problems.Add($"{key}:RtspTransport '{c.RtspTransport}' is unknown: use 'tcp' or 'udp'.");
            }
        }
        foreach (IGrouping<string, CameraOptions> dup in o.Cameras.GroupBy(c => c.Id).Where(g => g.Count() > 1))
        {
            problems.Add($"Recorder:Cameras: the Id '{dup.Key}' is used by {dup.Count()} cameras; each camera needs its own.");
        }
        if (string.IsNullOrWhiteSpace(o.DataDir))
        {
            problems.Add("Recorder:DataDir is not set: name a directory on a disk with room for the spool (--data-dir).");
        }
        else if (CheckWritable(o.DataDir) is { } why)
        {
            problems.Add($"Recorder:DataDir '{o.DataDir}' is not writable ({why}). Fix: create it and give the agent's user write access, or choose another directory.");
        }
        if (!string.IsNullOrWhiteSpace(o.LocalBackendDir) && o.Backend == "local" && CheckWritable(o.LocalBackendDir) is { } cloudWhy)
        {
            problems.Add($"Recorder:LocalBackendDir '{o.LocalBackendDir}' is not writable ({cloudWhy}). Fix: create it, or leave it empty to keep the embedded cloud in Recorder:DataDir.");
        }
        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }
    }

    /// <summary>Null when a file can be created, written, fsynced and removed in the directory; else why not.</summary>
    private static string? CheckWritable(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".write-probe-{Environment.ProcessId}");
            using (var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                stream.WriteByte(1);
                stream.Flush(flushToDisk: true);
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return e.Message;
        }
    }

    /// <summary>Hides a password in a camera URL before it goes into a message or a log.</summary>
    /// <summary>
    /// The text with the password of every scheme://user:password@ in it replaced by <c>***</c> (the user name stays: it
    /// helps find the wrong one). Text, not <see cref="Uri"/>: a password with a quote or a backslash is no valid URI,
    /// and FFmpeg's errors quote the URL inside a sentence.
    /// </summary>
    public static string Redact(string text) =>
        Regex.Replace(text, @"(?<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?<user>[^:@/\s]*):(?<password>[^@]*)@",
            m => $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:***@");

    /// <summary>The scheme before "://", lower case, or null; read as text, so credentials that no <see cref="Uri"/> accepts do not hide it.</summary>
    public static string? SchemeOf(string url) =>
        url.IndexOf("://", StringComparison.Ordinal) is > 0 and int end && Regex.IsMatch(url[..end], "^[A-Za-z][A-Za-z0-9+.-]*$")
            ? url[..end].ToLowerInvariant()
            : null;

    private static string Seconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s)
            ? TimeSpan.FromSeconds(s).ToString("c", CultureInfo.InvariantCulture)
            : value;
}
