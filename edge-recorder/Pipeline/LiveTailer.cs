using System.Collections.Concurrent;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Identity;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Buffers;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Per recording, one turn at its append session: the live tailer's appends and the uploader's finish never overlap
/// (a segment sealed while an append is in flight is finished only after it). And the byte count the recording's session
/// holds, when this process knows it: the store said so (a new session, an answered append, a resumed
/// session asked), and no append went unanswered since (the store may have kept it). After a restart nothing is known until
/// the tailer has asked. The count lives here, not only in the outbox row: the tailer writes its rows once a pass, so a row
/// may be a pass behind what the store confirmed.
/// </summary>
public sealed class LiveTailLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _known = new(StringComparer.Ordinal);

    /// <summary>The store just said that the recording's session holds <paramref name="bytes"/>.</summary>
    public void MarkKnown(string recordingId, long bytes) => _known[recordingId] = bytes;

    /// <summary>An append to the recording's session failed without a word from the store on what it kept.</summary>
    public void MarkUnknown(string recordingId) => _known.TryRemove(recordingId, out _);

    /// <summary>The bytes the recording's session holds, when this process knows; null when it must ask the store.</summary>
    public long? KnownBytes(string recordingId) => _known.TryGetValue(recordingId, out long bytes) ? bytes : null;

    public async Task<IDisposable> EnterAsync(string recordingId, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = _locks.GetOrAdd(recordingId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Turn(gate);
    }

    /// <summary>The recording is done with (uploaded): its lock goes.</summary>
    public void Forget(string recordingId)
    {
        _locks.TryRemove(recordingId, out _);
        _known.TryRemove(recordingId, out _);
    }

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}

/// <summary>
/// Live tails (docs/live-tail.md): each camera's open segment (the newest <c>seg_*.mp4</c> of its running run, neither
/// sealed nor followed by another) gets an append session when it appears, its URI in the outbox before any byte goes.
/// The tailer samples every open segment's size eight times per flush interval (at most every 0.25 s), remembering when it
/// saw each size; at each look it sends the whole quanta (<see cref="IAppendSessions.Quantum"/>) beyond the confirmed
/// offset, so whole bytes never wait longer than <see cref="LiveTailOptions.FlushInterval"/> (a destroyed recorder takes
/// with it what is not yet whole, plus one look: docs/live-tail.md has the bound), and records what the store confirmed and the
/// capture time that reaches (the newest sample whose size the confirmed bytes cover). A tail whose oldest unsent whole
/// quantum has waited longer than <see cref="LiveTailOptions.FallBackAfter"/> stops appending ("fallen back"): its
/// session is finished after sealing like the rest. Sealing hands the segment to the <see cref="Uploader"/>, which
/// finishes the session with the rest and the CRC32C. The tailer has its own loop and concurrency, so a backlog of
/// sealed segments never delays it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "Its SemaphoreSlim holds nothing to release unless its AvailableWaitHandle is asked for, which nothing here does.")]
public sealed class LiveTailer
{
    /// <summary>
    /// Most bytes in one append request (whole quanta of it: four of Cloud Storage's). A tail the uplink left behind catches
    /// up in several requests, one after another; each request's buffer is pooled, and a pool keeps what it lent, so a
    /// larger request would leave a larger buffer resident for the agent's life (at 8 MiB, up to 128 MiB at 16 cameras).
    /// </summary>
    internal const int MaxAppendBytes = 1024 * 1024;

    /// <summary>
    /// Most appends in flight at once, across all cameras. They share one uplink, so a few keep it busy (while one waits for
    /// its answer, the others send: four quarter-MiB appends are 1 MiB in flight, what 100 Mbit/s carries in an 80 ms round
    /// trip); each holds a pooled buffer, and the pool keeps as many of each size as were ever out
    /// together: with one append per camera that was sixteen quarter-MiB buffers at 16 cameras, resident for nothing.
    /// </summary>
    internal const int AppendsInFlight = 4;
    private readonly SemaphoreSlim _appendSlots = new(AppendsInFlight, AppendsInFlight);
    private readonly OutboxStore _outbox;
    private readonly IAppendSessions? _sessions;
    private readonly EdgePaths _paths;
    private readonly string _bucket;
    private readonly string _recorderId;
    private readonly LiveTailOptions _options;
    private readonly RecorderClaimGuard _claims;
    private readonly LiveTailLocks _locks;
    private readonly TimeProvider _time;
    private readonly Metronome _beat;
    private readonly SegmentArrivals _arrivals;
    private readonly ILogger _log;
    private readonly Dictionary<string, Tail> _tails = new(StringComparer.Ordinal);
    private readonly Dictionary<(string CameraId, long Run), Newest> _newest = [];
    private bool _resumed;

    /// <summary>What the tailer knows of one segment between passes: its sizes as sampled, and when it last sent.</summary>
    private sealed class Tail(LiveTailRow row)
    {
        public LiveTailRow Row { get; set; } = row;
        public List<(long Size, DateTimeOffset At)> Samples { get; } = [];
        /// <summary>No more appends: its successor appeared, it was sealed, it fell back, or its session is gone.</summary>
        public bool Stopped { get; set; }

        /// <summary><see cref="Row"/> says more than the outbox row (a confirmation, a better start): written at the pass's end.</summary>
        public bool Unwritten { get; set; }

        /// <summary>
        /// The segment's file, open from the tail's first look until it ends: a look is one fstat and an append reads from it.
        /// A look by name cost a stat and a geteuid, and each append an open, two flocks, an fstat and a close; at 16 cameras
        /// that was a hundred system calls a second, each dear on a virtual machine.
        /// </summary>
        public SafeFileHandle? Handle { get; set; }

        public void Stop()
        {
            Stopped = true;
            Close();
        }

        public void Close()
        {
            Handle?.Dispose();
            Handle = null;
        }

        /// <summary>
        /// Its start is when the tailer first saw the file (up to a look after its first frame) until its predecessor is
        /// sealed: a segment starts where the one before it ends (what the salvage's timeline then shows).
        /// </summary>
        public bool StartEstimated { get; set; } = row.Sequence > 0;
    }

    public LiveTailer(OutboxStore outbox, IAppendSessions? sessions, EdgePaths paths, string stagingBucket, string recorderId, LiveTailOptions options,
        RecorderClaimGuard claims, LiveTailLocks locks, TimeProvider time, Metronome beat, ILoggerFactory logs, SegmentArrivals? arrivals = null)
    {
        _beat = beat;
        _arrivals = arrivals ?? new SegmentArrivals();
        _outbox = outbox;
        _sessions = sessions;
        _paths = paths;
        _bucket = stagingBucket;
        _recorderId = recorderId;
        _options = options;
        _claims = claims;
        _locks = locks;
        _time = time;
        _log = logs.CreateLogger<LiveTailer>();
    }

    /// <summary>Whether live tails run: on in the configuration, and a store with append sessions.</summary>
    public bool Enabled => _options.Enabled && _sessions is not null;

    /// <summary>How often the open segments are sampled: an eighth of the flush interval, between 50 and 250 ms.</summary>
    public TimeSpan SampleInterval => SampleIntervalFor(_options);

    /// <summary>An eighth of <paramref name="options"/>' flush interval, between 50 and 250 ms; the agent's <see cref="Metronome"/> beats at it.</summary>
    public static TimeSpan SampleIntervalFor(LiveTailOptions options) =>
        TimeSpan.FromMilliseconds(Math.Clamp(options.FlushInterval.TotalMilliseconds / 8, 50, 250));

    /// <summary>Tails until <paramref name="stopping"/>; a failed pass is logged and the next one comes.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        if (!Enabled)
        {
            if (_options.Enabled)
            {
                _log.LogWarning("Live tails are on, but this backend's store has no append sessions: segments go up after sealing");
            }
            return;
        }
        try
        {
            await _claims.EnsureMayUploadAsync(stopping); // nothing goes to the bucket under a recorder ID another installation holds
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            _log.LogError(e, "Live tails are off: this installation may not upload ({Error})", e.Message);
            return;
        }
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await PassAsync(stopping);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    _log.LogError(e, "A live tail pass failed; the next one follows");
                }
                try
                {
                    await _beat.WaitAsync(SampleInterval, stopping); // with the cameras' looks: one wake for all
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        finally
        {
            try
            {
                WriteDown(_tails.Values);
            }
            catch (Exception e)
            {
                _log.LogWarning("Live tails: the last confirmations could not be written to the outbox ({Error}); the next start asks the store", e.Message);
            }
            foreach (Tail tail in _tails.Values)
            {
                tail.Close();
            }
        }
    }

    /// <summary>
    /// One pass: sessions from before (a previous process) are asked where they stand, new open segments get a session,
    /// every open segment is sampled, and those due send their whole quanta (all cameras together, at most <see cref="AppendsInFlight"/> appends at once). Returns the bytes confirmed.
    /// </summary>
    public async Task<long> PassAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return 0;
        }
        if (!_resumed)
        {
            await ResumeAsync(cancellationToken);
            _resumed = true;
        }
        HashSet<string> open = await OpenSegmentsAsync(cancellationToken);
        DateTimeOffset now = _time.GetUtcNow();
        var work = new List<Task<long>>();
        List<Tail> looked = _tails.Values.ToList();
        foreach (Tail tail in looked)
        {
            if (!open.Contains(tail.Row.RecordingId))
            {
                // Closed (its successor appeared, or the run ended), sealed, or uploaded: the uploader finishes it, and the
                // tailer is done with it. A segment is open only while it is its run's newest and unsealed, which it never
                // becomes again; one missed by a pass (its run's directory unreadable for a moment) is taken up again from
                // its outbox row, as after a restart.
                _tails.Remove(tail.Row.RecordingId);
                tail.Close();
                continue;
            }
            if (!tail.Stopped)
            {
                work.Add(TailOneAsync(tail, now, cancellationToken));
            }
        }
        try
        {
            long[] sent = await Task.WhenAll(work);
            return sent.Sum();
        }
        finally
        {
            WriteDown(looked);
        }
    }

    /// <summary>
    /// What the tails learned (confirmed bytes, the capture time they reach, a better start) goes to their outbox rows in one
    /// commit, at the end of each pass: the rows only inform (<c>status</c>, the catalog's report), and the uploader takes
    /// the confirmed count from <see cref="LiveTailLocks"/>. A row the uploader removed meanwhile is left removed.
    /// </summary>
    private void WriteDown(IEnumerable<Tail> tails)
    {
        List<Tail> due = tails.Where(t => t.Unwritten).ToList();
        if (due.Count == 0)
        {
            return;
        }
        _outbox.WriteLiveTails(due.Select(t => t.Row).ToList());
        foreach (Tail tail in due)
        {
            tail.Unwritten = false;
        }
    }

    /// <summary>Sessions the outbox holds from before this process: the offset is what the store reports, not what was last written down.</summary>
    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        foreach (LiveTailRow row in _outbox.LiveTails())
        {
            long? held = null;
            try
            {
                AppendSessionStatus status = await _sessions!.QueryAsync(row.SessionUri, cancellationToken);
                if (!status.IsComplete)
                {
                    _outbox.ConfirmLiveTail(row.RecordingId, status.Persisted, confirmedUpTo: null);
                    held = status.Persisted;
                    _log.LogInformation("Live tail of {RecordingId}: its session holds {Bytes} bytes; it goes on from there", row.RecordingId, status.Persisted);
                }
            }
            catch (ObjectStoreException e) when (e.Error == ObjectStoreError.NotFound)
            {
                _log.LogWarning("Live tail of {RecordingId}: the store no longer knows its session; the segment is uploaded after sealing", row.RecordingId);
                _outbox.RemoveLiveTail(row.RecordingId);
            }
            LiveTailRow? current = _outbox.GetLiveTail(row.RecordingId);
            if (current is not null)
            {
                _tails[row.RecordingId] = new Tail(current) { Stopped = current.State == LiveTailState.FallenBack };
                if (current.ConfirmedBytes == held)
                {
                    _locks.MarkKnown(row.RecordingId, current.ConfirmedBytes); // the row says what the store just said
                }
            }
        }
    }

    /// <summary>The recording IDs of the open segments (starting a session for each that has none); the open segments' files are known.</summary>
    private async Task<HashSet<string>> OpenSegmentsAsync(CancellationToken cancellationToken)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        var running = new HashSet<(string, long)>();
        foreach (CameraRun run in _outbox.OpenRuns())
        {
            running.Add((run.CameraId, run.Run));
            if (NewestSegment(run) is not { } newest || newest.Sealed)
            {
                continue;
            }
            string id = newest.Id;
            open.Add(id);
            if (!_tails.ContainsKey(id))
            {
                if (_outbox.GetLiveTail(id) is { } known)
                {
                    _tails[id] = new Tail(known) { Stopped = known.State == LiveTailState.FallenBack };
                }
                else
                {
                    await StartAsync(id, run, newest.Seq, newest.Path, cancellationToken);
                }
            }
        }
        foreach ((string, long) ended in _newest.Keys.Where(k => !running.Contains(k)).ToList())
        {
            _arrivals.Forget(_newest[ended].Directory);
            _newest.Remove(ended);
        }
        return open;
    }

    /// <summary>
    /// The newest segment file of a running run, and whether it is sealed. The directory is listed once per run; after that
    /// a look asks whether the next file exists only when the spool's watcher heard of a new file in the run's directory
    /// (<see cref="SegmentArrivals"/>), or when it last asked <see cref="SegmentArrivals.SafetyLook"/> ago or more (a notification
    /// the kernel dropped delays a new segment's tail by that much at most). Four looks a second must cost next to nothing
    /// per camera, not a listing of a run's files and a query of its sealed segments, nor a stat of a file not there yet.
    /// </summary>
    private Newest? NewestSegment(CameraRun run)
    {
        (string, long) key = (run.CameraId, run.Run);
        DateTimeOffset now = _time.GetUtcNow();
        if (!_newest.TryGetValue(key, out Newest known))
        {
            string dir = _paths.RunDirectory(run.CameraId, run.Run);
            SegmentArrivals.Mark listedAt = _arrivals.MarkOf(dir);
            if (!Directory.Exists(dir))
            {
                return null;
            }
            long seq = -1;
            foreach (string file in Directory.EnumerateFiles(dir, "seg_*.mp4"))
            {
                if (SegmentList.TryParseSequence(Path.GetFileName(file), out long s) && s > seq)
                {
                    seq = s;
                }
            }
            if (seq < 0)
            {
                return null;
            }
            known = At(run, dir, seq, _outbox.HasSegment(run.CameraId, run.Run, seq)) with { Looked = listedAt, LookedAt = now };
        }
        bool moved = false;
        SegmentArrivals.Mark mark = _arrivals.MarkOf(known.Directory);
        if (SegmentArrivals.LookAgain(known.Looked, known.LookedAt, mark, now))
        {
            while (File.Exists(known.NextPath))
            {
                known = At(run, known.Directory, known.Seq + 1, isSealed: false);
                moved = true;
            }
            known = known with { Looked = mark, LookedAt = now };
        }
        if (!known.Sealed && (moved || !_tails.ContainsKey(known.Id)))
        {
            // A segment not tailed yet may have been sealed meanwhile (the run's end, a restart); a tailed one is asked no more.
            known = known with { Sealed = _outbox.HasSegment(run.CameraId, run.Run, known.Seq) };
        }
        _newest[key] = known;
        return known;
    }

    /// <summary>
    /// A run's newest segment as the tailer knows it, with the names a look needs worked out once a segment (its recording
    /// ID is a name-based UUID, a SHA-1; sixteen cameras looked at four times a second made it, and the next file's path,
    /// 128 times a second), and when the tailer last asked whether the next file exists (with the arrivals it had heard of then).
    /// </summary>
    private readonly record struct Newest(long Seq, string Path, bool Sealed, string Id, string Directory, string NextPath)
    {
        public SegmentArrivals.Mark Looked { get; init; }
        public DateTimeOffset LookedAt { get; init; }
    }

    private Newest At(CameraRun run, string dir, long seq, bool isSealed) =>
        new(seq, FfmpegArguments.SegmentFile(dir, seq), isSealed, RecordingId.For(_recorderId, run.CameraId, run.Run, seq), dir,
            FfmpegArguments.SegmentFile(dir, seq + 1));

    private async Task StartAsync(string id, CameraRun run, long seq, string path, CancellationToken cancellationToken)
    {
        string objectName = ObjectNames.Staging(_recorderId, run.CameraId, id);
        // No SHA-256: unknown until the segment is sealed; finalize compares size and CRC32C with the announcement.
        var metadata = new Dictionary<string, string>
        {
            [ObjectMetadata.RecordingId] = id,
            [ObjectMetadata.RecorderId] = _recorderId,
            [ObjectMetadata.CameraId] = run.CameraId,
        };
        Uri session;
        try
        {
            session = await _sessions!.StartAsync(new AppendSessionRequest(_bucket, objectName, "video/mp4", IfGenerationMatch: 0, metadata), cancellationToken);
        }
        catch (Exception e) when (e is ObjectStoreException or HttpRequestException or IOException)
        {
            _log.LogWarning("Live tail of {RecordingId}: no session could be started ({Error}); tried again on the next pass", id, e.Message);
            return;
        }
        DateTimeOffset? previousEnd = seq > 0 ? _outbox.Get(RecordingId.For(_recorderId, run.CameraId, run.Run, seq - 1))?.EndTime : null;
        var row = new LiveTailRow(id, run.CameraId, run.Run, seq, path, objectName, session, 0, previousEnd ?? _time.GetUtcNow(), null, LiveTailState.Tailing);
        if (_outbox.InsertLiveTail(row))
        {
            _locks.MarkKnown(id, 0); // a new session holds nothing
        }
        _tails[id] = new Tail(_outbox.GetLiveTail(id) ?? row) { StartEstimated = seq > 0 && previousEnd is null };
        _log.LogDebug("Camera {CameraId}: live tail of {RecordingId} started", run.CameraId, id); // one a segment: the sealed line says the rest
    }

    /// <summary>Samples the segment, and sends its whole unsent quanta when due. Returns the bytes the store confirmed.</summary>
    private async Task<long> TailOneAsync(Tail tail, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (tail.StartEstimated
            && _outbox.Get(RecordingId.For(_recorderId, tail.Row.CameraId, tail.Row.Run, tail.Row.Sequence - 1)) is { } previous)
        {
            tail.Row = tail.Row with { OpenedAt = previous.EndTime };
            tail.Unwritten = true;
            tail.StartEstimated = false;
        }
        long size;
        try
        {
            tail.Handle ??= File.OpenHandle(tail.Row.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            size = RandomAccess.GetLength(tail.Handle);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
        if (tail.Samples.Count == 0 || tail.Samples[^1].Size != size)
        {
            tail.Samples.Add((size, now));
        }
        int quantum = _sessions!.Quantum;
        long whole = size / quantum * quantum;
        long confirmed = tail.Row.ConfirmedBytes;
        if (whole <= confirmed)
        {
            return 0;
        }
        // When the first unsent whole quantum was there to send: how long the uplink has kept it waiting.
        DateTimeOffset waitingSince = tail.Samples.First(s => s.Size / quantum * quantum > confirmed).At;
        if (now - waitingSince > _options.FallBackAfter)
        {
            FallBack(tail, whole - confirmed, now - waitingSince);
            return 0;
        }
        using IDisposable turn = await _locks.EnterAsync(tail.Row.RecordingId, cancellationToken);
        if (!_outbox.IsStillTailed(tail.Row.RecordingId))
        {
            tail.Stop(); // sealed meanwhile: the uploader finishes it
            return 0;
        }
        long before = confirmed;
        byte[]? buffer = null;
        await _appendSlots.WaitAsync(cancellationToken);
        try
        {
            SafeFileHandle file = tail.Handle;
            // Pooled (TransferBuffers): a quantum is 256 KiB on Cloud Storage, a large object; a new one per append (eight a second at 16
            // cameras) kept the collector sweeping the oldest generation. Read synchronously: a page-cache read of a
            // quarter MiB takes microseconds, less than handing it to a thread pool worker and back.
            int most = (int)Math.Min(Math.Max(MaxAppendBytes / quantum, 1) * (long)quantum, whole - confirmed);
            buffer = TransferBuffers.Pool.Rent(most);
            while (confirmed < whole)
            {
                int length = (int)Math.Min(most, whole - confirmed);
                int read = RandomAccess.Read(file, buffer.AsSpan(0, length), confirmed);
                if (read < length)
                {
                    throw new IOException($"{tail.Row.Path} holds fewer bytes than it did a moment ago ({confirmed + read}, not {whole})");
                }
                long held = await _sessions.AppendAsync(tail.Row.SessionUri, confirmed, buffer.AsMemory(0, length), cancellationToken);
                if (held <= confirmed)
                {
                    break; // nothing new persisted: the next pass sends again
                }
                confirmed = held;
                Confirm(tail, confirmed);
                _locks.MarkKnown(tail.Row.RecordingId, confirmed);
            }
        }
        catch (ObjectStoreException e) when (e.Error is ObjectStoreError.NotFound or ObjectStoreError.PreconditionFailed)
        {
            // Gone (expired, cancelled) or finished by the cloud's salvage: the segment goes up the ordinary way after sealing.
            _log.LogWarning("Live tail of {RecordingId}: its session {Outcome}; the segment is uploaded after sealing",
                tail.Row.RecordingId, e.Error == ObjectStoreError.NotFound ? "is gone" : "was finished by the cloud");
            tail.Stop();
            _outbox.RemoveLiveTail(tail.Row.RecordingId);
        }
        catch (Exception e) when (e is ObjectStoreException or HttpRequestException or IOException or TimeoutException)
        {
            _locks.MarkUnknown(tail.Row.RecordingId);
            _log.LogWarning("Live tail of {RecordingId}: an append failed ({Error}); sent again on the next pass", tail.Row.RecordingId, e.Message);
        }
        finally
        {
            if (buffer is not null)
            {
                TransferBuffers.Pool.Return(buffer);
            }
            _appendSlots.Release();
        }
        return confirmed - before;
    }

    /// <summary>Notes what the store confirmed, and the capture time it covers: when the newest sample it covers was taken (the row is written at the pass's end).</summary>
    private void Confirm(Tail tail, long confirmed)
    {
        DateTimeOffset? upTo = tail.Row.ConfirmedUpTo;
        int covered = tail.Samples.FindLastIndex(s => s.Size <= confirmed);
        if (covered >= 0)
        {
            upTo = tail.Samples[covered].At;
            tail.Samples.RemoveRange(0, covered); // older samples say nothing more
        }
        tail.Row = tail.Row with { ConfirmedBytes = confirmed, ConfirmedUpTo = upTo };
        tail.Unwritten = true;
    }

    private void FallBack(Tail tail, long unsent, TimeSpan waited)
    {
        tail.Stop();
        _outbox.MarkLiveTailFallenBack(tail.Row.RecordingId);
        tail.Row = tail.Row with { State = LiveTailState.FallenBack };
        _log.LogWarning("Camera {CameraId}: live tail behind ({Bytes} bytes unsent for {Waited:F0} s): {RecordingId} is uploaded after sealing",
            tail.Row.CameraId, unsent, waited.TotalSeconds, tail.Row.RecordingId);
    }
}
