using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Turns closed segment files into outbox rows. For each: fsync the file, fsync its directory, hash it in
/// one pass, then commit the row (the crash protocol: a row never points at bytes that might not be on
/// disk); the rows of a pass reach the disk together, with the pass's last commit. A segment is closed when FFmpeg
/// has opened its successor, or when its run has ended — which also adopts the files of a run whose agent was killed. Wall-clock times come from the run's anchor (derived
/// from when FFmpeg closed a segment) plus FFmpeg's own segment times, so segments of a run are contiguous; the
/// first segment of a run starts at its first frame (<see cref="FirstFrameAsync"/>). docs/time.md has the whole story.
/// </summary>
public sealed class Sealer(OutboxStore outbox, EdgePaths paths, string recorderId, string probePath, TimeProvider time, ILoggerFactory logs,
    SegmentArrivals? arrivals = null)
{
    private readonly ILogger _log = logs.CreateLogger<Sealer>();
    private readonly Dictionary<(string CameraId, long Run), RunProgress> _progress = [];

    /// <summary>
    /// The pass under way or the last one; the next waits for it. One pass at a time: the pipeline's pass may still be running
    /// when a stop starts the last one, and what a pass keeps between passes (<see cref="RunProgress"/>) is not shared safely
    /// (two passes at once broke each other's segment lists, and hashed and probed the same files twice).
    /// </summary>
    private Task _lastPass = Task.CompletedTask;
    private readonly Lock _passes = new();

    /// <summary>
    /// What was sealed, said in one log line a minute (<see cref="RoutineTally"/>). Each segment's own line is at Debug
    /// (<c>CCTV_LOG_LEVEL=Debug</c>) but for a run's first; the outbox, <c>status</c> and the evidence chain hold every
    /// segment's hash and times.
    /// </summary>
    private readonly RoutineTally _sealed = new(time, RoutineTally.Minute);

    /// <summary>Rows inserted so far, whose commits did not wait for the disk; a pass ends with one that does.</summary>
    private long _inserted;

    /// <summary>
    /// What this sealer knows of a run between passes: its segment list as read so far, and which of its segments have rows,
    /// from the outbox once and then from its own sealing. Both keep only what concerns the files still in the run's
    /// directory, so a pass costs what the open end of a run costs, not what its whole history does.
    /// </summary>
    private sealed class RunProgress(string directory, HashSet<long> sealedSequences, TimeProvider time, SegmentArrivals? arrivals)
    {
        public SegmentListFollower List { get; } = new(directory);

        public RunFiles Files { get; } = new(directory, time, arrivals);

        /// <summary>The lowest number that may still be unsealed: a pass looks from here up, not at every file on disk.</summary>
        public long FirstUnsealed { get; set; }

        /// <summary>The oldest file's number when what lies below it was last let go of.</summary>
        public long PrunedBelow { get; set; } = long.MinValue;

        /// <summary>Sequences with an outbox row, at or above the oldest file the last pass saw.</summary>
        public HashSet<long> Sealed { get; } = sealedSequences;

        /// <summary>Whether any segment of the run has a row (the first one closes the gap before the run).</summary>
        public bool AnySealed { get; set; } = sealedSequences.Count > 0;

        /// <summary>
        /// The files below this number were in the directory when it was last fsynced, so their names are on the disk. A
        /// segment is sealed only once its successor exists, so each fsync of the directory covers the next seal's file too:
        /// one fsync of a run's directory every other segment, not one a segment.
        /// </summary>
        public long DirectoryDurableBelow { get; set; }
    }

    /// <summary>
    /// Seals what is closed in every run not yet fully sealed. Returns how many segments it sealed. A call made while another
    /// pass runs waits for it, then makes its own (which seals what closed meanwhile).
    /// </summary>
    public async Task<int> SealAsync(CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task before;
        lock (_passes)
        {
            before = _lastPass;
            _lastPass = mine.Task;
        }
        try
        {
            await before.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // This pass never ran; the one after it still waits for the one before.
            _ = before.ContinueWith(_ => mine.SetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        try
        {
            return await SealPassAsync(cancellationToken);
        }
        finally
        {
            mine.SetResult();
        }
    }

    private async Task<int> SealPassAsync(CancellationToken cancellationToken)
    {
        int sealedCount = 0;
        IReadOnlyList<CameraRun> runs = outbox.UnsealedRuns();
        foreach ((string, long) gone in _progress.Keys.Except(runs.Select(r => (r.CameraId, r.Run))).ToList())
        {
            _progress.Remove(gone); // sealed (here or by another process); reopened later, it is read afresh
        }
        long insertedBefore = _inserted;
        try
        {
            foreach (CameraRun run in runs)
            {
                sealedCount += await SealRunAsync(run, cancellationToken);
            }
        }
        catch when (_inserted != insertedBefore)
        {
            outbox.FlushCommits(); // what this pass did seal is durable before the failure goes up
            throw;
        }
        // Each camera's evidence chain takes what was sealed and the gaps that closed (docs/evidence-format.md); a crash
        // before this line leaves them unchained, and the next pass chains them, once. Its commit waits for the disk, and so
        // makes the pass's segment rows durable too (theirs did not wait: one fsync a pass, not one a segment).
        int chained = outbox.AppendChain(recorderId);
        if (_inserted != insertedBefore && chained == 0)
        {
            outbox.FlushCommits();
        }
        SummariseIfDue();
        return sealedCount;
    }

    private void SummariseIfDue()
    {
        if (_sealed.TakeIfDue() is { } sum)
        {
            _log.LogInformation("Sealed {Count} segments ({Bytes} bytes) of {Cameras} cameras in the last {Seconds:F0} s",
                sum.Count, sum.Bytes, sum.Cameras, sum.Over.TotalSeconds);
        }
    }

    private async Task<int> SealRunAsync(CameraRun run, CancellationToken cancellationToken)
    {
        string dir = paths.RunDirectory(run.CameraId, run.Run);
        bool ended = run.EndedAt is not null;
        (string, long) key = (run.CameraId, run.Run);
        if (!_progress.TryGetValue(key, out RunProgress? progress))
        {
            progress = _progress[key] = new RunProgress(dir, outbox.SealedSequences(run.CameraId, run.Run), time, arrivals);
        }
        if (progress.Files.Refresh())
        {
            progress.FirstUnsealed = progress.Files.Oldest; // listed whole: look at every file once more
        }
        IReadOnlyDictionary<long, string> files = progress.Files.Files;
        IReadOnlyDictionary<long, SegmentListEntry> listed = progress.List.Read();
        HashSet<long> done = progress.Sealed;

        long? anchor = run.AnchorMs ?? await DeriveAnchorAsync(run, files, listed, ended, cancellationToken);
        int count = 0;
        for (long seq = Math.Max(progress.FirstUnsealed, progress.Files.Oldest); seq < progress.Files.Next; seq++)
        {
            bool closed = ended || files.ContainsKey(seq + 1);
            if (!files.ContainsKey(seq) || !closed || done.Contains(seq))
            {
                continue;
            }
            if (anchor is null)
            {
                break; // cannot happen for a closed segment of a run with footage; wait for the anchor
            }
            switch (await SealOneAsync(run, seq, files[seq], anchor.Value, listed, progress, cancellationToken))
            {
                case SealOutcome.Sealed:
                    done.Add(seq);
                    progress.AnySealed = true;
                    count++;
                    break;
                case SealOutcome.HadRow:
                    done.Add(seq); // sealed by another writer meanwhile: not hashed again on the next pass
                    progress.AnySealed = true;
                    break;
            }
        }

        if (ended && files.Keys.All(seq => done.Contains(seq) || !File.Exists(files[seq])))
        {
            OpenGapAfter(run);
            outbox.MarkRunSealed(run.CameraId, run.Run);
            _progress.Remove(key);
            return count;
        }
        // The next pass looks from the lowest number still to seal: every number below it is sealed or has no file.
        while (progress.FirstUnsealed < progress.Files.Next && (done.Contains(progress.FirstUnsealed) || !files.ContainsKey(progress.FirstUnsealed)))
        {
            progress.FirstUnsealed++;
        }
        // What lies below the oldest file is done with (uploaded and cleaned up); one entry before it is kept, as an
        // unlisted segment starts where the one before it ended.
        long oldest = files.Count == 0 ? listed.Keys.DefaultIfEmpty(-1).Max() : progress.Files.Oldest;
        if (oldest > progress.PrunedBelow)
        {
            done.RemoveWhere(seq => seq < oldest);
            progress.List.Forget(oldest - 1);
            progress.PrunedBelow = oldest;
        }
        return count;
    }

    private async Task<long?> DeriveAnchorAsync(CameraRun run, IReadOnlyDictionary<long, string> files, IReadOnlyDictionary<long, SegmentListEntry> listed, bool ended, CancellationToken cancellationToken)
    {
        // A listed segment whose successor exists was closed when the successor's first packet arrived, so
        // its modification time is (anchor + its end time); the earliest such segment gives the anchor.
        foreach (SegmentListEntry entry in listed.Values.OrderBy(e => e.Sequence))
        {
            if (files.TryGetValue(entry.Sequence, out string? path) && files.ContainsKey(entry.Sequence + 1) && File.Exists(path))
            {
                long anchor = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds() - (long)Math.Round(entry.End * 1000);
                outbox.SetAnchor(run.CameraId, run.Run, anchor);
                return anchor;
            }
        }
        if (ended && files.Count > 0)
        {
            // One segment, closed by the end of the run: it ended when its file was last written. Unlisted (FFmpeg was
            // killed before it wrote the line), it ends as long after FFmpeg's start as its media lasts.
            string only = files.OrderBy(f => f.Key).First().Value;
            double length = listed.TryGetValue(files.Keys.Min(), out SegmentListEntry? e) ? e.End
                : File.Exists(only) ? await MediaProbe.DurationAsync(probePath, only, cancellationToken) ?? 0 : 0;
            long anchor = File.Exists(only)
                ? Math.Max(run.StartedAt.ToUnixTimeMilliseconds(), new DateTimeOffset(File.GetLastWriteTimeUtc(only)).ToUnixTimeMilliseconds() - (long)Math.Round(length * 1000))
                : run.StartedAt.ToUnixTimeMilliseconds();
            outbox.SetAnchor(run.CameraId, run.Run, anchor);
            return anchor;
        }
        return null;
    }

    private enum SealOutcome
    {
        Sealed,
        HadRow,
        NotSealed,
    }

    private async Task<SealOutcome> SealOneAsync(CameraRun run, long seq, string path, long anchorMs,
        IReadOnlyDictionary<long, SegmentListEntry> listed, RunProgress progress, CancellationToken cancellationToken)
    {
        bool firstOfRun = !progress.AnySealed;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return SealOutcome.NotSealed;
        }
        if (info.Length == 0)
        {
            _log.LogWarning("Camera {CameraId}: run {Run} segment {Seq} is empty (FFmpeg stopped before its first frame); removed", run.CameraId, run.Run, seq);
            File.Delete(path);
            return SealOutcome.NotSealed;
        }

        Durability.FsyncFile(path);
        if (seq >= progress.DirectoryDurableBelow)
        {
            // Every file the pass listed (this one's successor among them) was there before this fsync.
            long listedBelow = progress.Files.Next;
            Durability.FsyncDirectory(Path.GetDirectoryName(path)!);
            progress.DirectoryDurableBelow = listedBelow;
        }
        SegmentDigest digest = SegmentHasher.HashFile(path, cancellationToken);

        double start, end;
        if (listed.TryGetValue(seq, out SegmentListEntry? entry))
        {
            (start, end) = (entry.Start, entry.End);
            if (seq == 0)
            {
                start = await FirstFrameAsync(run, path, entry, cancellationToken);
            }
        }
        else
        {
            start = listed.TryGetValue(seq - 1, out SegmentListEntry? previous) ? previous.End : 0;
            double duration = await MediaProbe.DurationAsync(probePath, path, cancellationToken) ?? 0;
            end = start + duration;
        }
        DateTimeOffset startTime = DateTimeOffset.FromUnixTimeMilliseconds(anchorMs + (long)Math.Round(start * 1000));
        DateTimeOffset endTime = DateTimeOffset.FromUnixTimeMilliseconds(anchorMs + (long)Math.Round(end * 1000));

        OutboxSegment segment = OutboxRows.Sealed(recorderId, run.CameraId, run.Run, seq, path, startTime, endTime, digest, time.GetUtcNow());
        string id = segment.Id;
        if (!outbox.InsertSealed(segment))
        {
            return SealOutcome.HadRow;
        }
        _inserted++;
        _log.Log(firstOfRun ? LogLevel.Information : LogLevel.Debug, "Camera {CameraId}: sealed {RecordingId} (run {Run}, segment {Seq}, {Seconds:F1} s, {Bytes} bytes, sha256 {Sha256})",
            run.CameraId, id, run.Run, seq, (endTime - startTime).TotalSeconds, digest.Size, digest.Sha256);
        _sealed.Add(run.CameraId, digest.Size);

        if (firstOfRun)
        {
            CloseGapBefore(run, startTime);
        }
        return SealOutcome.Sealed;
    }

    /// <summary>
    /// Where the first segment of a run really starts on FFmpeg's timeline. FFmpeg's list says 0 for it, the moment
    /// FFmpeg's input began, but a stream copy drops what comes before the first keyframe, so the media begins later
    /// (up to a keyframe interval; <c>-reset_timestamps</c> shifts it to 0 in the file, so only its length tells). The
    /// segment's end is right (the next segment's first packet), so its start is its end less the length ffprobe
    /// reads. If ffprobe cannot read it, FFmpeg's 0 stands and the segment claims the time before its first frame.
    /// </summary>
    private async Task<double> FirstFrameAsync(CameraRun run, string path, SegmentListEntry entry, CancellationToken cancellationToken)
    {
        double? length = await MediaProbe.DurationAsync(probePath, path, cancellationToken);
        if (length is not { } media || media <= 0 || media > entry.End - entry.Start + FrameTolerance)
        {
            _log.LogWarning("Camera {CameraId}: run {Run}'s first segment could not be measured (ffprobe read {Length}); it is timed from FFmpeg's start",
                run.CameraId, run.Run, length);
            return entry.Start;
        }
        return Math.Max(entry.Start, entry.End - media);
    }

    /// <summary>How much longer than FFmpeg's own list says a segment's media may read (ffprobe rounds to the millisecond).</summary>
    private const double FrameTolerance = 0.01;

    /// <summary>The ID of the gap that follows the footage of a run.</summary>
    public static string GapIdAfter(string recorderId, string cameraId, long run) => RecordingId.For(recorderId, cameraId, run, -1);

    /// <summary>A run with footage ended: until the next footage, the camera has a gap, with the run's end reason.</summary>
    private void OpenGapAfter(CameraRun run)
    {
        if (outbox.LastFootageBefore(run.CameraId, run.Run + 1) is not { } last || last.Run.Run != run.Run)
        {
            return;
        }
        outbox.UpsertGap(new RecordingGap(GapIdAfter(recorderId, run.CameraId, run.Run), recorderId, run.CameraId,
            last.LastEnd, null, run.EndReason ?? "recording stopped"));
    }

    /// <summary>The first footage of a run closes the gap that the previous footage run left open.</summary>
    private void CloseGapBefore(CameraRun run, DateTimeOffset firstStart)
    {
        if (outbox.LastFootageBefore(run.CameraId, run.Run) is not { } previous)
        {
            return;
        }
        string id = GapIdAfter(recorderId, run.CameraId, previous.Run.Run);
        // After the clock stepped back, the new run begins before the old one ended: the gap is empty, its reason says by how much.
        DateTimeOffset end = firstStart < previous.LastEnd ? previous.LastEnd : firstStart;
        outbox.UpsertGap(new RecordingGap(id, recorderId, run.CameraId, previous.LastEnd, end,
            previous.Run.EndReason ?? "recording stopped"));
    }
}
