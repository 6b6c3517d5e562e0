using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>What one enforcement of the disk budget did.</summary>
public sealed record DiskBudgetReport(long SpoolBytes, long FreeBytes, int EvictedVerified, int EvictedUploaded, int LostToDiskFull)
{
    public bool Acted => EvictedVerified + EvictedUploaded + LostToDiskFull > 0;
}

/// <summary>
/// Keeps the spool inside its budget so that recording never stops for lack of space. Frees, oldest first:
/// verified segments (the archive has them); then segments already in the bucket (CRC32C confirmed, awaiting the
/// catalog); only when nothing else is left, the oldest footage not yet uploaded, recorded as lost with the reason
/// "disk full" in the outbox and, through the catalog sync, in the catalog. Starts at 95% of the budget (or below the free-space
/// floor) and stops at 85%, so that it does not run at every pass.
/// </summary>
/// <param name="freeBytesProbe">The free bytes of the file system holding a path; the drive's own unless a test pins it.</param>
/// <param name="spoolWalk">The bytes in the spool, by walking it (a stat a file); the real walk unless a test stands in for it.</param>
public sealed class DiskBudget(OutboxStore outbox, string spool, DiskBudgetOptions budget, TimeProvider time, ILoggerFactory logs,
    Func<string, long>? freeBytesProbe = null, Func<string, long>? spoolWalk = null)
{
    private const double Trigger = 0.95;
    private const double Target = 0.85;
    private readonly ILogger _log = logs.CreateLogger<DiskBudget>();
    private readonly Func<string, long> _freeBytes = freeBytesProbe ?? (path => new DriveInfo(path).AvailableFreeSpace);
    private DateTimeOffset _nextCheck = DateTimeOffset.MinValue;
    private DateTimeOffset _nextWalk = DateTimeOffset.MinValue;
    private readonly Func<string, long> _walk = spoolWalk ?? SpoolBytes;
    /// <summary>The spool's bytes at the last walk.</summary>
    private long _walked;
    /// <summary>The outbox's newest segment row when the last walk began: rows above it were sealed since.</summary>
    private long _walkedThrough;
    /// <summary>What this budget deleted since the last walk.</summary>
    private long _freedSinceWalk;

    /// <summary>
    /// How long the spool may go without a walk while it holds less than <see cref="Near"/> of its budget (or has no byte
    /// budget). A walk stats every file in the spool, and while verification lags nothing is cleaned up: a day of 16
    /// cameras at 4-second segments is 345,600 files. Free space is read at every check (one statfs) all the same. Going
    /// from half the budget to its trigger within this interval takes writing 45% of the budget in a minute: 130 times the
    /// cameras' combined bitrate in bytes a second (1 GB at 8 MB/s), which a real budget is not.
    /// </summary>
    public static readonly TimeSpan FarWalkInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The most of the agent's time the walks may take: the next walk waits at least this many times the last one's length.
    /// A spool the disk budget keeps full holds as many files as the budget allows (a million at 500 GB of 500 KB segments):
    /// walked at every check, or even once a minute, its stats alone would cost more than recording. Between walks the spool
    /// is estimated: the last walk's bytes, plus what was sealed since (the outbox knows each sealed segment's size), less
    /// what the budget deleted since; what others deleted (the cleanup of verified segments, an operator) still counts, so
    /// the estimate only errs high, and eviction starts early rather than late.
    /// </summary>
    public const int WalkTimeShare = 100;

    /// <summary>The share of the byte budget from which the spool is walked at every check (unless walks are slow: <see cref="WalkTimeShare"/>).</summary>
    public const double Near = 0.5;

    /// <summary>The latest report, for status.</summary>
    public DiskBudgetReport? Last { get; private set; }

    /// <summary>Checks at most once per check interval; returns null when it did not check.</summary>
    public DiskBudgetReport? EnforceIfDue()
    {
        DateTimeOffset now = time.GetUtcNow();
        if (now < _nextCheck)
        {
            return null;
        }
        _nextCheck = now + budget.CheckInterval;
        return Enforce(walk: now >= _nextWalk);
    }

    /// <param name="walk">Measure the spool by walking it; otherwise estimate it from the last walk (see <see cref="WalkTimeShare"/>).</param>
    public DiskBudgetReport Enforce(bool walk = true)
    {
        Directory.CreateDirectory(spool);
        TimeSpan walkedFor = TimeSpan.Zero;
        long used;
        if (walk)
        {
            long began = System.Diagnostics.Stopwatch.GetTimestamp(); // the walk's length on a clock that never steps
            _walkedThrough = outbox.NewestSegmentMark(); // before the walk: a segment sealed during it counts twice, never not at all
            used = _walk(spool);
            walkedFor = System.Diagnostics.Stopwatch.GetElapsedTime(began);
            _freedSinceWalk = 0;
            _walked = used;
        }
        else
        {
            used = Math.Max(0, _walked + outbox.BytesSealedAfter(_walkedThrough) - _freedSinceWalk);
        }
        long measured = used;
        long free = _freeBytes(spool);
        long? max = budget.MaxBytes;
        long minFree = budget.MinFreeBytes;
        int verified = 0, uploaded = 0, lost = 0;

        bool Over() => (max is { } m && used > m * Trigger) || free < minFree;
        bool AboveTarget() => (max is { } m && used > m * Target) || free < minFree + (long)(minFree * (1 - Target));

        if (Over())
        {
            foreach (OutboxSegment s in outbox.ListByState(EdgeState.Verified, int.MaxValue))
            {
                if (!AboveTarget())
                {
                    break;
                }
                // Marked first, compare-and-set: a row a forced sync has just sent again keeps its file.
                if (!outbox.MarkEvicted(s.Id))
                {
                    continue;
                }
                long freed = Delete(s.Path);
                (used, free, verified) = (used - freed, Add(free, freed), verified + 1);
            }
            // An uploaded row is committed without waiting for the disk: made durable before its file can go, so a power cut
            // never takes back the row of a file deleted as uploaded (the next start would find it uploading, without its file).
            outbox.FlushCommits();
            foreach (OutboxSegment s in outbox.ListByState(EdgeState.Uploaded, int.MaxValue).Where(s => File.Exists(s.Path)))
            {
                if (!AboveTarget())
                {
                    break;
                }
                // In the bucket already (Cloud Storage confirmed its CRC32C): the local copy is a convenience.
                long freed = Delete(s.Path);
                (used, free, uploaded) = (used - freed, Add(free, freed), uploaded + 1);
            }
            foreach (OutboxSegment s in outbox.NotYetUploaded(int.MaxValue).Where(s => s.State != EdgeState.Uploading))
            {
                if (!AboveTarget())
                {
                    break;
                }
                string reason = $"disk full: evicted before upload to keep recording (spool {used / 1048576} MiB, budget {(max is { } m ? $"{m / 1048576} MiB" : "none")}, free {free / 1048576} MiB, floor {minFree / 1048576} MiB)";
                if (EvictBeforeUpload(s, reason) is { } evicted)
                {
                    (used, free) = (used - evicted.Freed, Add(free, evicted.Freed));
                    (lost, uploaded) = evicted.Lost ? (lost + 1, uploaded) : (lost, uploaded + 1);
                }
            }
        }

        _freedSinceWalk += measured - used;
        if (walk)
        {
            bool near = max is { } limit && used >= limit * Near;
            TimeSpan rest = walkedFor * WalkTimeShare;
            TimeSpan interval = near ? TimeSpan.Zero : FarWalkInterval;
            _nextWalk = time.GetUtcNow() + (rest > interval ? rest : interval);
        }
        var report = new DiskBudgetReport(used, free, verified, uploaded, lost);
        if (lost > 0)
        {
            _log.LogError("DISK FULL: {Lost} segments not yet uploaded were evicted and recorded as lost, after {Verified} verified and {Uploaded} uploaded ones; uploads are not keeping up or the budget is too small",
                lost, verified, uploaded);
        }
        else if (report.Acted)
        {
            _log.LogWarning("Disk budget: evicted {Verified} verified and {Uploaded} uploaded segments; spool {Used} MiB, free {Free} MiB",
                verified, uploaded, used / 1048576, free / 1048576);
        }
        else if (Over())
        {
            _log.LogError("DISK FULL: the spool is over its budget and nothing can be evicted (every segment is being uploaded right now)");
        }
        Last = report;
        return report;
    }

    /// <summary>
    /// Evicts a segment not yet uploaded, as the budget saw it (<paramref name="seen"/>): the row is first marked lost,
    /// compare-and-set on the state seen (sealed or failed), and only then is the file deleted. When an upload claimed the
    /// row in between, nothing is deleted or marked (null): the upload goes on and the segment is never both lost and uploaded.
    /// </summary>
    /// <returns>The bytes freed and whether the segment was lost, or null when the row had moved on.</returns>
    internal (long Freed, bool Lost)? EvictBeforeUpload(OutboxSegment seen, string reason)
    {
        if (seen.State is not (EdgeState.Sealed or EdgeState.Failed))
        {
            return null;
        }
        if (seen.Generation is not null && outbox.RestoreUploaded(seen.Id, seen.State))
        {
            // Sent again by a forced sync, but the bucket confirmed it before: only the local copy goes, nothing is lost.
            return (Delete(seen.Path), false);
        }
        return Losses.Record(outbox, seen, reason, _log, seen.State) ? (Delete(seen.Path), true) : null;
    }

    private static long Add(long free, long freed) => free > long.MaxValue - freed ? long.MaxValue : free + freed;

    private static long Delete(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return 0;
        }
        long size = info.Length;
        info.Delete();
        return size;
    }

    private static long SpoolBytes(string spool) =>
        new DirectoryInfo(spool).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
