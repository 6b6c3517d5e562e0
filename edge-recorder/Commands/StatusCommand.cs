using System.CommandLine;
using System.Text.Json;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Spectre.Console;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>
/// <c>status</c>: what an operator asks first. Per camera: recording or not, the newest segment, the backlog not yet
/// uploaded and its oldest, lost segments and the newest error; overall: counts per state, the upload rate, the
/// newest errors, losses (a disk-full loss is shouted) and the spool's disk use. Reads only local files, so it
/// answers even when the network is down. Exit 0 when healthy, 1 when something needs a person.
/// </summary>
public static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan BacklogAlarm = TimeSpan.FromMinutes(5);

    public static Command Create()
    {
        var dataDir = new Option<DirectoryInfo>("--data-dir", "The agent's data directory.") { IsRequired = true };
        var json = new Option<bool>("--json", "One JSON object instead of tables.");
        var command = new Command("status", "Show each camera, the upload backlog and rate, errors, losses and disk use.") { dataDir, json };
        command.SetHandler((DirectoryInfo dir, bool asJson) =>
        {
            if (!File.Exists(new EdgePaths(dir.FullName).Outbox))
            {
                Console.Error.WriteLine($"--data-dir: '{dir.FullName}' holds no agent data (no edge/outbox.db). Fix: pass the directory the agent records into.");
                return Task.FromResult(2);
            }
            StatusReport report = Read(dir.FullName, TimeProvider.System);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Json));
            }
            else
            {
                Print(report);
            }
            return Task.FromResult(report.Alerts.Count == 0 ? 0 : 1);
        }, dataDir, json);
        return command;
    }

    public sealed record CameraStatus(string Id, bool Recording, DateTimeOffset LastSegmentEnd, long Segments, long Backlog, double BacklogMb,
        double? OldestPendingAgeSeconds, long Lost, string? LastError, FfmpegWarningsStatus? FfmpegWarnings = null,
        string LiveTail = LiveTailOff, double? FootageAtRiskSeconds = null);

    /// <summary>A camera's live tail: appending its open segment, stopped because its uplink fell behind, or none.</summary>
    public const string LiveTailOn = "on", LiveTailBehind = "behind", LiveTailOff = "off";

    /// <summary>A camera's latest minute of FFmpeg warnings (counted by the agent, see <see cref="FfmpegWarningSummary"/>).</summary>
    public sealed record FfmpegWarningsStatus(DateTimeOffset From, DateTimeOffset To, long Count, string? MostFrequent, string? FirstExample);

    public sealed record ErrorLine(DateTimeOffset At, string State, string Error, long Segments);

    public sealed record StatusReport(
        IReadOnlyDictionary<string, long> Outbox,
        IReadOnlyDictionary<string, long>? Catalog,
        double? OldestUnverifiedAgeSeconds,
        long Backlog,
        double BacklogMb,
        double UploadedPerMinute,
        double UploadMbPerSecond,
        IReadOnlyList<CameraStatus> Cameras,
        IReadOnlyList<ErrorLine> RecentErrors,
        double SpoolMb,
        double FreeMb,
        IReadOnlyList<string> Alerts);

    public static StatusReport Read(string dataDir, TimeProvider time)
    {
        var paths = new EdgePaths(dataDir);
        var outbox = new OutboxStore(paths.Outbox, time);
        DateTimeOffset now = time.GetUtcNow();
        Dictionary<string, long> counts = outbox.CountByState().ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value);

        // The embedded backend's catalog is local too; the cloud catalog is not asked (status must answer offline).
        IReadOnlyDictionary<string, long>? catalog = null;
        if (Directory.Exists(Path.Combine(dataDir, "cloud")))
        {
            var backend = new LocalBackend(dataDir, time);
            catalog = backend.Catalog.CountByStateAsync(CancellationToken.None).GetAwaiter().GetResult().ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value);
        }

        List<CameraStatus> cameras = outbox.CameraSummaries().Select(c => new CameraStatus(c.CameraId, c.Recording, c.LastSegmentEnd, c.Segments, c.Backlog,
            Math.Round(c.BacklogBytes / 1048576.0, 1), c.OldestPendingSealedAt is { } t ? Math.Round((now - t).TotalSeconds, 1) : null, c.Lost, c.LastError,
            WarningsOf(dataDir, c.CameraId))).ToList();
        cameras = WithLiveTails(outbox, cameras, now);
        (long uploaded, long bytes) = outbox.UploadedSince(now - RateWindow);
        List<ErrorLine> errors = outbox.RecentErrors(5).Select(e => new ErrorLine(e.At, e.State, e.Error, e.Count)).ToList();
        DateTimeOffset? oldest = outbox.OldestPendingSealedAt();
        double? oldestAge = oldest is { } o ? Math.Round((now - o).TotalSeconds, 1) : null;

        Directory.CreateDirectory(paths.Spool);
        long spool = new DirectoryInfo(paths.Spool).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        long free = new DriveInfo(paths.Spool).AvailableFreeSpace;

        var alerts = new List<string>();
        long diskFull = outbox.ListByState(EdgeState.Lost, int.MaxValue).Count(s => s.LastError?.StartsWith("disk full", StringComparison.Ordinal) == true);
        if (diskFull > 0)
        {
            alerts.Add($"DISK FULL: {diskFull} segments were evicted before they were uploaded; raise Recorder:DiskBudget or fix the uplink");
        }
        long otherLost = (counts.TryGetValue("lost", out long l) ? l : 0) - diskFull;
        if (otherLost > 0)
        {
            alerts.Add($"{otherLost} segments lost: see the errors below");
        }
        if (oldestAge is { } age && age > BacklogAlarm.TotalSeconds)
        {
            alerts.Add($"the oldest segment not yet verified was sealed {TimeSpan.FromSeconds(age):g} ago (target: 5 minutes)");
        }

        return new StatusReport(counts, catalog, oldestAge, cameras.Sum(c => c.Backlog), Math.Round(cameras.Sum(c => c.BacklogMb), 1),
            Math.Round(uploaded / RateWindow.TotalMinutes, 2), Math.Round(bytes / 1048576.0 / RateWindow.TotalSeconds, 3), cameras, errors,
            Math.Round(spool / 1048576.0, 1), Math.Round(free / 1048576.0, 1), alerts);
    }

    /// <summary>
    /// Each camera's live tail (its newest segment's: on, behind, or off) and its footage at risk: the seconds of capture
    /// not yet confirmed in the cloud, from the live tail's confirmed-up-to, else the end of its newest uploaded segment,
    /// to now while it records (to its last segment's end when it does not). A camera whose first segment is still open
    /// has no row of its own yet: it is listed from its live tail.
    /// </summary>
    private static List<CameraStatus> WithLiveTails(OutboxStore outbox, List<CameraStatus> cameras, DateTimeOffset now)
    {
        var tails = outbox.LiveTails().GroupBy(t => t.CameraId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        IReadOnlyDictionary<string, DateTimeOffset> uploadedEnds = outbox.NewestUploadedEnds();
        var recording = outbox.UnsealedRuns().Where(r => r.EndedAt is null).Select(r => r.CameraId).ToHashSet(StringComparer.Ordinal);
        foreach ((string cameraId, List<LiveTailRow> rows) in tails)
        {
            if (!cameras.Any(c => c.Id == cameraId))
            {
                cameras.Add(new CameraStatus(cameraId, recording.Contains(cameraId), rows.Max(r => r.OpenedAt), 0, 0, 0, null, 0, null));
            }
        }
        return cameras.OrderBy(c => c.Id, StringComparer.Ordinal).Select(c =>
        {
            List<LiveTailRow> rows = tails.GetValueOrDefault(c.Id) ?? [];
            LiveTailRow? newest = rows.OrderBy(r => r.Run).ThenBy(r => r.Sequence).LastOrDefault();
            string live = newest is null || !c.Recording ? LiveTailOff : newest.State == LiveTailState.Tailing ? LiveTailOn : LiveTailBehind;
            DateTimeOffset? confirmed = rows.Select(r => r.ConfirmedUpTo).Append(uploadedEnds.TryGetValue(c.Id, out DateTimeOffset end) ? end : null).Max();
            DateTimeOffset until = c.Recording ? now : c.LastSegmentEnd;
            double? atRisk = confirmed is { } upTo ? Math.Round(Math.Max(0, (until - upTo).TotalSeconds), 1) : null; // null: none of it yet
            return c with { LiveTail = live, FootageAtRiskSeconds = atRisk };
        }).ToList();
    }

    /// <summary>"57 in 60 s to 18:03:10, most: 'RTP: missed # packets'", or "-".</summary>
    private static string WarningsText(FfmpegWarningsStatus? w) => w is null
        ? "-"
        : $"{w.Count} in {(w.To - w.From).TotalSeconds:F0} s to {w.To.ToLocalTime():HH:mm:ss}, most: '{w.MostFrequent}'";

    private static FfmpegWarningsStatus? WarningsOf(string dataDir, string cameraId) =>
        FfmpegWarningSummary.Load(dataDir, cameraId) is { } w
            ? new FfmpegWarningsStatus(w.From, w.To, w.Total, w.Kinds.Count > 0 ? w.Kinds[0].Pattern : null, w.Kinds.Count > 0 ? w.Kinds[0].FirstExample : null)
            : null;

    private static string LiveTailText(string live) => live switch
    {
        LiveTailOn => "[green]on[/]",
        LiveTailBehind => "[yellow]live tail behind: upload after sealing[/]",
        _ => "off",
    };

    private static void Print(StatusReport r)
    {
        var cameras = new Table().AddColumns("camera", "recording", "last segment", "live tail", "at risk", "segments", "backlog", "oldest pending", "lost", "ffmpeg warnings", "last error");
        foreach (CameraStatus c in r.Cameras)
        {
            cameras.AddRow(Markup.Escape(c.Id), c.Recording ? "[green]yes[/]" : "[yellow]no[/]", c.LastSegmentEnd.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"),
                LiveTailText(c.LiveTail), c.FootageAtRiskSeconds is { } risk ? $"{risk:F0} s" : "all",
                c.Segments.ToString(), $"{c.Backlog} ({c.BacklogMb} MB)", c.OldestPendingAgeSeconds is { } a ? $"{a:F0} s" : "-",
                c.Lost > 0 ? $"[red]{c.Lost}[/]" : "0", Markup.Escape(WarningsText(c.FfmpegWarnings)), Markup.Escape(c.LastError ?? ""));
        }
        AnsiConsole.Write(cameras);

        var states = new Table().AddColumns("where", "state", "count");
        foreach ((string state, long count) in r.Outbox.Where(kv => kv.Value > 0))
        {
            states.AddRow("edge", state, count.ToString());
        }
        foreach ((string state, long count) in (r.Catalog ?? new Dictionary<string, long>()).Where(kv => kv.Value > 0))
        {
            states.AddRow("cloud", state, count.ToString());
        }
        AnsiConsole.Write(states);
        AnsiConsole.WriteLine($"Backlog: {r.Backlog} segments ({r.BacklogMb} MB); uploads in the last 10 minutes: {r.UploadedPerMinute} per minute, {r.UploadMbPerSecond} MB/s");
        AnsiConsole.WriteLine(r.OldestUnverifiedAgeSeconds is { } age ? $"Oldest segment not yet verified: {age:F0} s" : "Every segment is verified.");
        AnsiConsole.WriteLine($"Spool: {r.SpoolMb} MB on disk, {r.FreeMb} MB free");
        foreach (ErrorLine e in r.RecentErrors)
        {
            AnsiConsole.MarkupLine($"[yellow]{e.State}[/] x{e.Segments} (last {e.At.ToLocalTime():HH:mm:ss}): {Markup.Escape(e.Error)}");
        }
        foreach (string alert in r.Alerts)
        {
            AnsiConsole.MarkupLine($"[red bold]ALERT[/] {Markup.Escape(alert)}");
        }
    }
}
