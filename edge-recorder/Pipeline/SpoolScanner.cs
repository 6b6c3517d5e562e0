using System.Globalization;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>What a full scan found and did.</summary>
public sealed record SpoolScanReport(int RunsAdopted, int RunsReopened, int RowsWithoutFile, int TempFilesRemoved);

/// <summary>
/// Makes the spool and the outbox agree, both ways: files with no row are adopted (their run is looked at again by
/// the sealer, or recorded if the outbox never knew it), rows whose file vanished before upload are recorded as lost
/// with the reason, and temporary files left by a crash are removed. Runs at start and every full-scan interval.
/// </summary>
public sealed class SpoolScanner(OutboxStore outbox, string spool, TimeProvider time, ILoggerFactory logs)
{
    private static readonly TimeSpan TempFileAge = TimeSpan.FromMinutes(1);
    private readonly ILogger _log = logs.CreateLogger<SpoolScanner>();

    /// <param name="atStart">True before anything runs: then rows still marked uploading have no upload in flight either.</param>
    public SpoolScanReport Scan(bool atStart)
    {
        int adopted = 0, reopened = 0, missing = 0, temps = 0;
        var runs = outbox.AllRuns().ToDictionary(r => (r.CameraId, r.Run));
        if (Directory.Exists(spool))
        {
            foreach (string cameraDir in Directory.EnumerateDirectories(spool))
            {
                string cameraId = Path.GetFileName(cameraDir);
                if (!Identifiers.IsValidSlug(cameraId))
                {
                    continue;
                }
                foreach (string runDir in Directory.EnumerateDirectories(cameraDir))
                {
                    if (!long.TryParse(Path.GetFileName(runDir), NumberStyles.None, CultureInfo.InvariantCulture, out long run))
                    {
                        continue;
                    }
                    temps += RemoveTempFiles(runDir);
                    var segmentFiles = Directory.EnumerateFiles(runDir, "seg_*.mp4")
                        .Where(f => SegmentList.TryParseSequence(Path.GetFileName(f), out _)).ToList();
                    if (!runs.TryGetValue((cameraId, run), out CameraRun? known))
                    {
                        if (segmentFiles.Count == 0)
                        {
                            continue;
                        }
                        DateTimeOffset started = segmentFiles.Select(f => new DateTimeOffset(File.GetLastWriteTimeUtc(f))).Min();
                        if (outbox.AdoptRun(cameraId, run, started, "found on disk without a run record"))
                        {
                            _log.LogWarning("Camera {CameraId}: run {Run} was on disk but not in the outbox; its {Count} files are adopted", cameraId, run, segmentFiles.Count);
                            adopted++;
                        }
                        continue;
                    }
                    if (known.Sealed)
                    {
                        HashSet<long> rows = outbox.SealedSequences(cameraId, run);
                        bool stray = segmentFiles.Any(f => SegmentList.TryParseSequence(Path.GetFileName(f), out long seq) && !rows.Contains(seq) && new FileInfo(f).Length > 0);
                        if (stray)
                        {
                            _log.LogWarning("Camera {CameraId}: run {Run} holds files with no outbox row; they are adopted", cameraId, run);
                            outbox.ReopenRun(cameraId, run);
                            reopened++;
                        }
                    }
                }
            }
        }

        foreach (OutboxSegment row in outbox.NotYetUploaded(int.MaxValue))
        {
            if ((atStart || row.State != EdgeState.Uploading) && !File.Exists(row.Path))
            {
                // A row the bucket confirmed before (sent again by a forced sync) is not lost because its local copy went.
                if (!outbox.RestoreUploaded(row.Id, row.State) && Losses.Record(outbox, row, $"the local file {row.Path} disappeared before it was uploaded", _log, row.State))
                {
                    missing++;
                }
            }
        }
        var report = new SpoolScanReport(adopted, reopened, missing, temps);
        if (report != new SpoolScanReport(0, 0, 0, 0))
        {
            _log.LogWarning("Spool scan: {Adopted} runs adopted, {Reopened} runs with stray files, {Missing} rows without a file (lost), {Temps} temporary files removed",
                adopted, reopened, missing, temps);
        }
        return report;
    }

    private int RemoveTempFiles(string dir)
    {
        int removed = 0;
        DateTime cutoff = time.GetUtcNow().UtcDateTime - TempFileAge;
        foreach (string temp in Directory.EnumerateFiles(dir, "*.tmp"))
        {
            if (File.GetLastWriteTimeUtc(temp) < cutoff)
            {
                File.Delete(temp);
                removed++;
            }
        }
        return removed;
    }
}
