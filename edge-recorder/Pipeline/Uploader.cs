using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Identity;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Timeout;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Drains the outbox into the staging bucket, oldest recording first. Each upload is create-only
/// (<c>ifGenerationMatch=0</c>) and carries the CRC32C computed at sealing (no MD5: Cloud Storage needs only the
/// CRC32C, see <see cref="Shared.Hashing.SegmentHasher"/>), so the store refuses corrupt bytes and a retry can never overwrite; a "precondition failed" counts as success only when the
/// stored object has our CRC32C. Per segment: the seed's retries (3 more attempts after 5 s, 10 s, 20 s),
/// then the segment goes back to the outbox with a capped, jittered back-off and is tried again for as long
/// as its file exists.
/// </summary>
public sealed class Uploader
{
    private const long LargeFile = 100L * 1024 * 1024;
    /// <summary>With nothing due and no signal, how long the upload loop sleeps before it looks again anyway (a safety net, not the trigger).</summary>
    public static readonly TimeSpan IdleSafetyPoll = TimeSpan.FromSeconds(30);
    private readonly Metronome? _beat;
    private readonly RoutineTally _tally;
    private readonly OutboxStore _outbox;
    private readonly IObjectStore _store;
    private readonly string _bucket;
    private readonly string _recorderId;
    private readonly UploadOptions _options;
    private readonly RecorderClaimGuard _claims;
    private readonly TimeProvider _time;
    private readonly Func<double> _jitter;
    private readonly PipelineSignal _due;
    private readonly PipelineSignal _uploaded;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _retry;
    private readonly LiveTailLocks _liveTails;

    /// <param name="jitter">A number in [0, 1) per back-off; <see cref="Random.Shared"/> unless a test pins it.</param>
    /// <param name="due">Set when segments become due (sealed, requeued): the running loop wakes on it instead of polling.</param>
    /// <param name="uploaded">Set after each segment reaches the bucket, for whoever waits on the cloud's word.</param>
    /// <param name="liveTails">Shared with the live tailer: a session is finished only when no append to it is in flight.</param>
    /// <param name="beat">When given, an idle wait ends on its beat (no timer of its own; the agent's); else on a timer of <paramref name="time"/>.</param>
    public Uploader(OutboxStore outbox, IObjectStore store, string stagingBucket, string recorderId, UploadOptions options, RecorderClaimGuard claims,
        TimeProvider time, ILoggerFactory logs, Func<double>? jitter = null, PipelineSignal? due = null, PipelineSignal? uploaded = null,
        LiveTailLocks? liveTails = null, Metronome? beat = null)
    {
        _beat = beat;
        _tally = new RoutineTally(time, RoutineTally.Minute);
        _liveTails = liveTails ?? new LiveTailLocks();
        _outbox = outbox;
        _store = store;
        _bucket = stagingBucket;
        _recorderId = recorderId;
        _options = options;
        _claims = claims;
        _time = time;
        _jitter = jitter ?? Random.Shared.NextDouble;
        _due = due ?? new PipelineSignal();
        _uploaded = uploaded ?? new PipelineSignal();
        _log = logs.CreateLogger<Uploader>();
        _retry = UploadRetries.Builder(options, time, _log, "Upload").Build();
    }

    /// <summary>Uploads what is due. Returns how many segments reached the bucket.</summary>
    /// <param name="batchSize">How many to claim at once; default four per parallel upload.</param>
    /// <param name="onlyId">Only this recording (a manual sync of one).</param>
    public async Task<int> UploadDueAsync(CancellationToken cancellationToken, int? batchSize = null, string? onlyId = null)
    {
        int uploaded = 0;
        await PumpAsync(batchSize ?? _options.Parallelism * 4, onlyId, () => Interlocked.Increment(ref uploaded), waitWhenIdle: false, cancellationToken);
        return uploaded;
    }

    /// <summary>
    /// Uploads for as long as <paramref name="stopping"/> allows: a segment is claimed the moment an upload slot frees
    /// (so one slow or retrying segment never holds the others back). When nothing is due it sleeps until a segment
    /// is sealed (the due signal), the earliest failed segment's back-off ends, or the idle safety poll passes.
    /// In-flight uploads are requeued with their sessions when it stops.
    /// </summary>
    public Task RunAsync(CancellationToken stopping) => PumpAsync(int.MaxValue, null, () => { }, waitWhenIdle: true, stopping);

    private async Task PumpAsync(int limit, string? onlyId, Action onUploaded, bool waitWhenIdle, CancellationToken cancellationToken)
    {
        await _claims.EnsureMayUploadAsync(cancellationToken); // nothing goes to the bucket under a recorder ID another installation holds
        using var slots = new SemaphoreSlim(_options.Parallelism);
        var inFlight = new List<Task>();
        int claimed = 0;
        try
        {
            while (claimed < limit && !cancellationToken.IsCancellationRequested)
            {
                await slots.WaitAsync(cancellationToken);
                _due.Consume(); // what was signalled before this claim is seen by it
                IReadOnlyList<OutboxSegment> due = _outbox.ClaimDue(1, onlyId);
                if (due.Count == 0)
                {
                    slots.Release();
                    if (!waitWhenIdle)
                    {
                        break;
                    }
                    inFlight.RemoveAll(t => t.IsCompleted);
                    await (_beat is null
                        ? PipelineSignal.WaitAnyAsync(IdleWait(), _time, cancellationToken, _due)
                        : PipelineSignal.WaitAnyAsync(IdleWait(), _beat, cancellationToken, _due));
                    continue;
                }
                claimed++;
                if (inFlight.Count > 256)
                {
                    inFlight.RemoveAll(t => t.IsCompleted); // a long backlog must not keep every finished task
                }
                OutboxSegment segment = due[0];
                inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        if (await UploadOneAsync(segment, cancellationToken))
                        {
                            onUploaded();
                            _uploaded.Set();
                        }
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Every claimed segment ends its attempt (uploaded, failed, or requeued on shutdown) before this returns.
            try
            {
                await Task.WhenAll(inFlight);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Until the earliest failed segment is due again, at most the safety poll.</summary>
    /// <summary>Each upload's own line is at Debug; one line a minute says how many went up (<see cref="RoutineTally"/>).</summary>
    private void Tally(OutboxSegment segment)
    {
        _tally.Add(segment.CameraId, segment.Size);
        if (_tally.TakeIfDue() is { } sum)
        {
            _log.LogInformation("Uploaded {Count} segments ({Bytes} bytes) of {Cameras} cameras to gs://{Bucket} in the last {Seconds:F0} s",
                sum.Count, sum.Bytes, sum.Cameras, _bucket, sum.Over.TotalSeconds);
        }
    }

    private TimeSpan IdleWait()
    {
        TimeSpan wait = IdleSafetyPoll;
        if (_outbox.NextRetryAt() is { } next)
        {
            TimeSpan untilNext = next - _time.GetUtcNow();
            wait = untilNext < wait ? untilNext : wait;
        }
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private async Task<bool> UploadOneAsync(OutboxSegment segment, CancellationToken cancellationToken)
    {
        if (!File.Exists(segment.Path) && segment.Generation is { } confirmed)
        {
            // Sent again by a forced sync, and the local copy went meanwhile: the bucket confirmed this object before,
            // so it is not lost; it stays uploaded and the catalog's word decides the rest.
            _log.LogWarning("The local file of {RecordingId} is gone, but the bucket confirmed it before (generation {Generation}); it stays uploaded",
                segment.Id, confirmed);
            _outbox.RestoreUploaded(segment.Id, EdgeState.Uploading);
            return false;
        }
        if (!File.Exists(segment.Path))
        {
            Losses.Record(_outbox, segment, $"the local file {segment.Path} disappeared before it was uploaded", _log, EdgeState.Uploading);
            return false;
        }
        TimeSpan timeout = _options.Timeout
            ?? (segment.Size > LargeFile ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(5));
        if (_outbox.GetLiveTail(segment.Id) is { } live && _store is IAppendSessions sessions)
        {
            switch (await FinishLiveTailAsync(segment, live, sessions, timeout, cancellationToken))
            {
                case LiveFinish.Uploaded:
                    return true;
                case LiveFinish.Failed:
                    return false;
            }
            // The session is gone or was finished by the cloud: the ordinary create-only upload of the whole file.
        }
        Dictionary<string, string> metadata = ObjectMetadata.ForSegment(segment.Id, _recorderId, segment.CameraId, segment.Sha256);
        // The session of an earlier attempt (in this process or one that was killed) is resumed, not restarted.
        Uri? session = segment.SessionUri;
        int tries = 0;
        void Started(Uri uri)
        {
            _outbox.SetSession(segment.Id, uri);
            session = uri;
        }
        try
        {
            StoredObject stored = await _retry.ExecuteAsync(async ct =>
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(timeout);
                var request = new UploadRequest(_bucket, segment.ObjectName, "video/mp4", segment.Crc32C, Md5: null, IfGenerationMatch: 0,
                    metadata, ResumeSession: session, SessionStarted: Started);
                if (tries++ > 0)
                {
                    _outbox.AddRetry(segment.Id);
                }
                if (session is not null)
                {
                    _outbox.MarkResumed(segment.Id);
                    _log.LogInformation("Resuming the upload of {RecordingId} in its session", segment.Id);
                }
                try
                {
                    await using var file = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    return await _store.UploadAsync(request, file, attempt.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutRejectedException($"upload of {segment.Id} took longer than {timeout}");
                }
                catch (ObjectStoreException e) when (e.Error == ObjectStoreError.ChecksumMismatch)
                {
                    // Corrupted in transit, or on our disk? Only the second is final. Either way the session is spent.
                    _outbox.ClearSession(segment.Id);
                    session = null;
                    ThrowIfLocalFileChanged(segment, ct);
                    throw new ObjectStoreException(ObjectStoreError.Transient, e.Message, e);
                }
            }, cancellationToken);
            if (!MarkUploaded(segment, stored.Generation))
            {
                return false;
            }
            _log.LogDebug("Uploaded {RecordingId} to gs://{Bucket}/{Object} (generation {Generation})", segment.Id, stored.Bucket, stored.Name, stored.Generation);
            Tally(segment);
            return true;
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.PreconditionFailed)
        {
            // Already there (an earlier attempt succeeded before we heard back): fine if it is our bytes.
            _outbox.ClearSession(segment.Id);
            StoredObject? existing;
            try
            {
                existing = await _store.GetAsync(_bucket, segment.ObjectName, cancellationToken);
            }
            catch (ObjectStoreException read)
            {
                // A recorder may create but not read (least privilege): the cloud archives the object if it is ours,
                // and the next attempt then finds the name free again or the catalog says archived.
                Fail(segment, $"gs://{_bucket}/{segment.ObjectName} exists and could not be read back to compare ({read.Message})");
                return false;
            }
            if (existing is not null && existing.Crc32C == segment.Crc32C && existing.Size == segment.Size)
            {
                return MarkUploaded(segment, existing.Generation);
            }
            Fail(segment, $"gs://{_bucket}/{segment.ObjectName} already exists with other content (CRC32C {existing?.Crc32C}); not overwritten");
            return false;
        }
        catch (LocalFileCorruptedException e)
        {
            Losses.Record(_outbox, segment, e.Message, _log, EdgeState.Uploading);
            return false;
        }
        catch (Exception e) when (e is ObjectStoreException or HttpRequestException or TimeoutRejectedException or IOException)
        {
            Fail(segment, e.Message);
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _outbox.RequeueForUpload(segment.Id, EdgeState.Uploading, "upload interrupted by shutdown", keepSession: true);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever went wrong, the segment must not stay claimed: it goes back to the outbox with the reason.
            _log.LogError(e, "Upload of {RecordingId} failed unexpectedly", segment.Id);
            Fail(segment, $"{e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    private enum LiveFinish
    {
        Uploaded,
        Failed,
        UploadOrdinarily,
    }

    /// <summary>
    /// A segment with a live tail: its session is finished with the rest of the file, the total size and the CRC32C of the
    /// whole (the store refuses a corrupt object), creating the object once. NotFound (the session expired) and
    /// PreconditionFailed (the cloud salvaged it at the bytes it held) go the ordinary way: a create-only upload of the
    /// whole file, which finds the object there (412, compared) or succeeds once the cloud took it out of staging.
    /// </summary>
    private async Task<LiveFinish> FinishLiveTailAsync(OutboxSegment segment, LiveTailRow live, IAppendSessions sessions, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        try
        {
            using IDisposable turn = await _liveTails.EnterAsync(segment.Id, cancellationToken);
            // Under the turn, the tailer sends nothing: when this process knows what the store holds (LiveTailLocks: the count
            // the store last confirmed to the tailer, which writes its outbox rows only once a pass), it needs no asking (a
            // request a segment fewer). A retry asks.
            long? held = _liveTails.KnownBytes(segment.Id);
            int tries = 0;
            StoredObject stored = await _retry.ExecuteAsync(async ct =>
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(timeout);
                if (tries++ > 0)
                {
                    _outbox.AddRetry(segment.Id);
                }
                try
                {
                    await using var file = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    return await sessions.FinishAsync(live.SessionUri, file, segment.Crc32C, tries == 1 ? held : null, attempt.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutRejectedException($"finishing the live tail of {segment.Id} took longer than {timeout}");
                }
            }, cancellationToken);
            if (!MarkUploaded(segment, stored.Generation, endingLiveTail: true))
            {
                return LiveFinish.Failed;
            }
            _liveTails.Forget(segment.Id);
            _log.LogDebug("Uploaded {RecordingId} to gs://{Bucket}/{Object} (generation {Generation}), finishing its live tail",
                segment.Id, stored.Bucket, stored.Name, stored.Generation);
            Tally(segment);
            return LiveFinish.Uploaded;
        }
        catch (ObjectStoreException e) when (e.Error is ObjectStoreError.NotFound or ObjectStoreError.PreconditionFailed)
        {
            _log.LogWarning("The live tail session of {RecordingId} {Outcome}; uploading the whole file instead", segment.Id,
                e.Error == ObjectStoreError.NotFound ? "is gone" : "was finished by the cloud (salvaged)");
            _outbox.RemoveLiveTail(segment.Id);
            return LiveFinish.UploadOrdinarily;
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.ChecksumMismatch)
        {
            // Nothing was stored, and the session is spent. The file changed on our disk (final), or the bytes sent before did not match it.
            _outbox.RemoveLiveTail(segment.Id);
            try
            {
                ThrowIfLocalFileChanged(segment, cancellationToken);
            }
            catch (LocalFileCorruptedException corrupted)
            {
                Losses.Record(_outbox, segment, corrupted.Message, _log, EdgeState.Uploading);
                return LiveFinish.Failed;
            }
            _log.LogWarning("The live tail session of {RecordingId} did not hash to the sealed file's CRC32C; uploading the whole file instead", segment.Id);
            return LiveFinish.UploadOrdinarily;
        }
        catch (Exception e) when (e is ObjectStoreException or HttpRequestException or TimeoutRejectedException or IOException)
        {
            Fail(segment, $"finishing the live tail: {e.Message}");
            return LiveFinish.Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _outbox.RequeueForUpload(segment.Id, EdgeState.Uploading, "upload interrupted by shutdown", keepSession: true);
            throw;
        }
    }

    private static void ThrowIfLocalFileChanged(OutboxSegment segment, CancellationToken cancellationToken)
    {
        SegmentDigest now = SegmentHasher.HashFile(segment.Path, cancellationToken);
        if (now.Crc32CBase64 != segment.Crc32C || now.Sha256 != segment.Sha256 || now.Size != segment.Size)
        {
            throw new LocalFileCorruptedException(
                $"the local file {segment.Path} changed after it was sealed (sealed: {segment.Size} bytes, SHA-256 {segment.Sha256}; " +
                $"now: {now.Size} bytes, SHA-256 {now.Sha256}); it was not uploaded and is kept for inspection");
        }
    }

    /// <summary>
    /// uploading -> uploaded, compare-and-set: while this upload ran, nothing else may have changed the row (it was claimed);
    /// if something did, the race is reported and the row is left as the other writer made it.
    /// </summary>
    private bool MarkUploaded(OutboxSegment segment, long generation, bool endingLiveTail = false)
    {
        if (_outbox.MarkUploaded(segment.Id, generation, endingLiveTail))
        {
            return true;
        }
        _log.LogError("Recording {RecordingId} reached the bucket (generation {Generation}), but its outbox row changed during the upload (now {State}); left as it is",
            segment.Id, generation, _outbox.Get(segment.Id)?.State.ToWire() ?? "gone");
        return false;
    }

    private void Fail(OutboxSegment segment, string error)
    {
        TimeSpan backoff = Backoff(segment.Attempts);
        if (!_outbox.MarkFailed(segment.Id, error, _time.GetUtcNow() + backoff))
        {
            _log.LogWarning("Upload of {RecordingId} failed ({Error}), and its outbox row changed meanwhile (now {State}); left as it is",
                segment.Id, error, _outbox.Get(segment.Id)?.State.ToWire() ?? "gone");
            return;
        }
        _log.LogWarning("Upload of {RecordingId} failed ({Error}); the background sync tries again in {Backoff}", segment.Id, error, backoff);
    }

    /// <summary>Capped exponential back-off with jitter for the background sync: 6x the retry delay, doubling, up to the cap.</summary>
    public TimeSpan Backoff(int attempts)
    {
        double baseSeconds = Math.Max(1, _options.RetryDelay.TotalSeconds * 6);
        double seconds = Math.Min(_options.MaxBackoff.TotalSeconds, baseSeconds * Math.Pow(2, Math.Min(attempts, 20)));
        return TimeSpan.FromSeconds(seconds * (0.8 + (_jitter() * 0.4)));
    }
}

/// <summary>A sealed file no longer has the bytes it was sealed with.</summary>
public sealed class LocalFileCorruptedException(string message) : Exception(message);
