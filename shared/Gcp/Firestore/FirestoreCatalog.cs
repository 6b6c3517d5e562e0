using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Polly;
using Polly.Retry;
using static Cctv.Shared.Gcp.Firestore.CatalogDocuments;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>Tuning of <see cref="FirestoreCatalog"/>.</summary>
public sealed record FirestoreCatalogOptions
{
    /// <summary>
    /// The longest recording the time-range query must find when it began before the range does. The query reads
    /// recordings that start at most this long before <see cref="RecordingQuery.From"/> (Firestore cannot range over
    /// start and end at once without scanning a camera's whole history). The edge caps segments at 3600 s.
    /// </summary>
    public TimeSpan MaxRecordingDuration { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How often a guarded change is re-read and re-decided after another writer got there first.</summary>
    public int ConflictRetries { get; init; } = 8;

    /// <summary>First back-off after such a conflict (doubling, with jitter, up to half a second).</summary>
    public TimeSpan ConflictDelay { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// The catalog on Firestore: <c>recordings/{id}</c>, <c>cameras/{id}</c>, <c>gaps/{id}</c> (see <see cref="CatalogDocuments"/>).
/// Same semantics as <see cref="Local.SqliteCatalog"/>: every state change reads the document, decides from the
/// state it finds, and commits only if the document is still the one it read (<c>currentDocument.updateTime</c>);
/// when another writer got there first it reads again and decides again. So a repeated, late or reordered call
/// changes nothing after the first, and of two racing callers only one applies.
/// </summary>
public sealed partial class FirestoreCatalog : ICatalog
{
    /// <summary>Firestore's limit on the values of one IN filter.</summary>
    private const int MaxInValues = 30;

    private readonly FirestoreClient _client;
    private readonly TimeProvider _time;
    private readonly FirestoreCatalogOptions _options;
    private readonly ResiliencePipeline _conflicts;

    public FirestoreCatalog(FirestoreClient client, TimeProvider time, FirestoreCatalogOptions? options = null)
    {
        _client = client;
        _time = time;
        _options = options ?? new FirestoreCatalogOptions();
        _conflicts = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<GcpApiException>(IsConflict),
                MaxRetryAttempts = Math.Max(1, _options.ConflictRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.ConflictDelay,
                MaxDelay = TimeSpan.FromMilliseconds(500),
            })
            .Build();
    }

    public async Task AnnounceAsync(RecordingAnnouncement announcement, CancellationToken cancellationToken)
    {
        RecordingAnnouncement a = announcement;
        string name = _client.DocumentName(Recordings, a.Id);
        await Guarded(name, async ct =>
        {
            try
            {
                await _client.CommitAsync([FirestoreWrite.Create(name, NewRecording(a, _time.GetUtcNow()))], ct);
                return true;
            }
            catch (GcpApiException e) when (e.Status == "ALREADY_EXISTS")
            {
                FirestoreDocument existing = await _client.GetAsync(name, ct)
                    ?? throw new GcpTransientException($"Recording {a.Id} existed on create but not on the read after it.");
                if (StateNames.ParseCloud(existing.GetString(State)) is CloudState.Salvaging or CloudState.Salvaged)
                {
                    await AnnounceSalvagedAsync(name, existing, a, ct);
                    return false;
                }
                string sha = existing.GetString(Sha256);
                long size = existing.GetInt64(FileSize);
                if (sha != a.Sha256 || size != a.FileSize)
                {
                    throw new InvalidOperationException(
                        $"Recording {a.Id} was announced before with SHA-256 {sha} and {size} bytes; now with {a.Sha256} and {a.FileSize} bytes.");
                }
                return false;
            }
        }, cancellationToken);
    }

    /// <summary>
    /// New recordings in one commit each <see cref="MaxWritesPerCommit"/> (create-only, so all or none of a commit lands);
    /// when any of them exists already (announced before a crash took the outbox's mark back, or salvaged), the commit is
    /// refused as a whole and each is announced on its own, which reads what is there and decides.
    /// </summary>
    public async Task AnnounceManyAsync(IReadOnlyList<RecordingAnnouncement> announcements, CancellationToken cancellationToken)
    {
        foreach (RecordingAnnouncement[] chunk in announcements.Chunk(MaxWritesPerCommit))
        {
            if (chunk.Length == 1)
            {
                await AnnounceAsync(chunk[0], cancellationToken);
                continue;
            }
            DateTimeOffset now = _time.GetUtcNow();
            try
            {
                await _client.CommitAsync([.. chunk.Select(a => FirestoreWrite.Create(_client.DocumentName(Recordings, a.Id), NewRecording(a, now)))], cancellationToken);
            }
            catch (GcpApiException e) when (e.Status == "ALREADY_EXISTS")
            {
                foreach (RecordingAnnouncement a in chunk)
                {
                    await AnnounceAsync(a, cancellationToken);
                }
            }
        }
    }

    /// <summary>Firestore's limit on the writes of one commit.</summary>
    private const int MaxWritesPerCommit = 500;

    public async Task<Recording?> GetAsync(string id, CancellationToken cancellationToken) =>
        NameOf(id) is { } name && await _client.GetAsync(name, cancellationToken) is { } doc ? ToRecording(doc) : null;

    public async Task<IReadOnlyList<Recording>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var names = ids.Distinct(StringComparer.Ordinal).Select(NameOf).OfType<string>().ToList();
        if (names.Count == 0)
        {
            return [];
        }
        IReadOnlyDictionary<string, FirestoreDocument> found = await _client.BatchGetAsync(names, cancellationToken);
        return [.. names.Where(found.ContainsKey).Select(n => ToRecording(found[n]))];
    }

    public Task<TransitionOutcome> MarkStagedAsync(string id, long stagingGeneration, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Staged, (now, _) => new()
        {
            [StagingGeneration] = stagingGeneration,
            [StagedAt] = now,
            [Reason] = null,
        }, cancellationToken);

    public Task<TransitionOutcome> MarkArchivedAsync(string id, string archiveObject, long archiveGeneration, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Archived, (now, doc) =>
        {
            TimeSpan delay = now - doc.GetTimestamp(EndTime);
            return new()
            {
                [ArchiveObject] = archiveObject,
                [ArchiveGeneration] = archiveGeneration,
                [ArchivedAt] = now,
                [ArchiveDelayMs] = (long)delay.TotalMilliseconds,
                [ArchivedOnTime] = delay <= DeliveryTarget.ArchiveWithin,
            };
        }, cancellationToken);

    public Task<TransitionOutcome> MarkQuarantinedAsync(string id, string reason, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Quarantined, (_, _) => new() { [Reason] = reason }, cancellationToken);

    public Task<TransitionOutcome> MarkLostAsync(string id, string reason, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Lost, (_, _) => new() { [Reason] = reason }, cancellationToken);

    public Task<TransitionOutcome> MarkExpiredAsync(string id, string reason, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Expired, (_, _) => new() { [Reason] = reason }, cancellationToken,
            refuse: doc => doc[LegalHold] is true);

    public async Task<TransitionOutcome> SetLegalHoldAsync(string id, bool hold, string? reason, CancellationToken cancellationToken)
    {
        if (NameOf(id) is not { } name)
        {
            return TransitionOutcome.NotFound;
        }
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is not { } doc)
            {
                return TransitionOutcome.NotFound;
            }
            if ((doc[LegalHold] is true) == hold)
            {
                return TransitionOutcome.AlreadyDone;
            }
            if (StateNames.ParseCloud(doc.GetString(State)) == CloudState.Expired)
            {
                return TransitionOutcome.Refused;
            }
            var fields = new Dictionary<string, object?>
            {
                [LegalHold] = hold,
                [LegalHoldReason] = hold ? reason : null,
                [UpdatedAt] = _time.GetUtcNow(),
                [CatalogDocuments.Version] = doc.GetInt64(CatalogDocuments.Version) + 1,
            };
            await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, fields, doc.UpdateTime)], ct);
            return TransitionOutcome.Applied;
        }, cancellationToken);
    }

    /// <summary>
    /// Recordings of the cameras overlapping [From, To), newest first (start time, then ID, both descending), within
    /// the scope: one scan per filter the scope needs (a camera's recorder and ID, a set of recorders; each IN at most
    /// 30 values), each up to one more than a page, merged. Every scan holds only rows the scope allows, so the page is
    /// full and its cursor is one of them.
    /// </summary>
    public async Task<RecordingPage> QueryAsync(RecordingQuery query, CancellationToken cancellationToken)
    {
        CatalogScope scope = query.Scope.Narrow(query.Cameras);
        if (scope.IsEmpty)
        {
            return new RecordingPage([], null);
        }
        int size = Math.Clamp(query.PageSize, 1, 1000);
        List<Recording>[] found = await Task.WhenAll(ScopeFilters(scope).Select(filter => ScanAsync(filter, query.From, query.To, query.After, size + 1, cancellationToken)));
        var items = found.SelectMany(r => r)
            .DistinctBy(r => r.Id, StringComparer.Ordinal)
            .OrderByDescending(r => r.Announcement.StartTime)
            .ThenByDescending(r => r.Id, StringComparer.Ordinal)
            .Take(size + 1)
            .ToList();
        PageCursor? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            next = new PageCursor(items[^1].Announcement.StartTime, items[^1].Id);
        }
        return new RecordingPage(items, next);
    }

    /// <summary>The equality filters whose union is the scope (none at all for everything).</summary>
    private static IEnumerable<Func<FirestoreQuery, FirestoreQuery>> ScopeFilters(CatalogScope scope)
    {
        if (scope.All)
        {
            yield return q => q.Where(Shard, FirestoreOperator.In, AllShards);
            yield break;
        }
        foreach (string[] recorders in scope.Recorders.Chunk(MaxInValues))
        {
            yield return q => recorders.Length == 1 ? q.Where(RecorderId, FirestoreOperator.Equal, recorders[0]) : q.Where(RecorderId, FirestoreOperator.In, recorders);
        }
        foreach (IGrouping<string, CameraKey> recorder in scope.Cameras.Where(k => !scope.Recorders.Contains(k.RecorderId)).GroupBy(k => k.RecorderId, StringComparer.Ordinal))
        {
            foreach (string[] cameras in recorder.Select(k => k.CameraId).Chunk(MaxInValues))
            {
                yield return q => (cameras.Length == 1
                    ? q.Where(CameraId, FirestoreOperator.Equal, cameras[0])
                    : q.Where(CameraId, FirestoreOperator.In, cameras)).Where(RecorderId, FirestoreOperator.Equal, recorder.Key);
            }
        }
    }

    public Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, int limit, CancellationToken cancellationToken) =>
        ListByStateAsync(state, null, limit, cancellationToken);

    public async Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, StateCursor? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return [];
        }
        // Every shard: Firestore merges their ranges of the (shard, state, announced_at) index in announcement order.
        FirestoreQuery q = new FirestoreQuery(Recordings)
            .Where(Shard, FirestoreOperator.In, AllShards)
            .Where(State, FirestoreOperator.Equal, state.ToWire())
            .OrderBy(AnnouncedAt)
            .OrderBy(FirestoreQuery.DocumentNameField)
            .Limit(limit);
        if (after is { } cursor)
        {
            q = q.StartAfter(cursor.AnnouncedAt, new FirestoreReference(_client.DocumentName(Recordings, cursor.Id)));
        }
        return [.. (await _client.RunQueryAsync(q, cancellationToken)).Select(ToRecording)];
    }

    public async Task<IReadOnlyList<Recording>> ListArchivedBeforeAsync(CameraKey camera, DateTimeOffset startBefore, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return [];
        }
        FirestoreQuery q = new FirestoreQuery(Recordings)
            .Where(RecorderId, FirestoreOperator.Equal, camera.RecorderId)
            .Where(CameraId, FirestoreOperator.Equal, camera.CameraId)
            .Where(LegalHold, FirestoreOperator.Equal, false)
            // Archived and salvaged, from the one table; "in" is served by the same index as equality (catalog-queries.json).
            .Where(State, FirestoreOperator.In, CloudTransitions.From(CloudState.Expired).Select(s => s.ToWire()).ToArray())
            .Where(StartTime, FirestoreOperator.LessThan, startBefore)
            .OrderBy(StartTime)
            .OrderBy(FirestoreQuery.DocumentNameField)
            .Limit(limit);
        return [.. (await _client.RunQueryAsync(q, cancellationToken)).Select(ToRecording)];
    }

    public async Task<DeliveryStats> GetDeliveryStatsAsync(DateTimeOffset endedFrom, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        // One count per shard (an aggregation reads index entries, not documents), so no index is ordered by end time alone.
        IEnumerable<Task<(long Ended, long OnTime)>> perShard = AllShards.Select(async shard =>
        {
            FirestoreQuery ended = new FirestoreQuery(Recordings)
                .Where(Shard, FirestoreOperator.Equal, shard)
                .Where(EndTime, FirestoreOperator.GreaterThanOrEqual, endedFrom)
                .Where(EndTime, FirestoreOperator.LessThan, endedBefore);
            Task<long> all = _client.CountAsync(ended, cancellationToken);
            Task<long> onTime = _client.CountAsync(ended.Where(ArchivedOnTime, FirestoreOperator.Equal, true), cancellationToken);
            return (await all, await onTime);
        });
        (long Ended, long OnTime)[] counts = await Task.WhenAll(perShard);
        return new DeliveryStats(counts.Sum(c => c.Ended), counts.Sum(c => c.OnTime));
    }

    public async Task<IReadOnlyDictionary<CloudState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        CloudState[] states = Enum.GetValues<CloudState>();
        long[] counts = await Task.WhenAll(states.Select(s =>
            _client.CountAsync(new FirestoreQuery(Recordings).Where(State, FirestoreOperator.Equal, s.ToWire()), cancellationToken)));
        return states.Zip(counts).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>
    /// Opens or closes a gap. A closing record sets the end and reason; an opening one creates the gap, or only
    /// updates the reason of one that exists, so a late repeat of the opening never reopens a closed gap.
    /// </summary>
    public async Task RecordGapAsync(RecordingGap gap, CancellationToken cancellationToken)
    {
        string name = _client.DocumentName(Gaps, gap.Id);
        if (gap.EndTime is not null)
        {
            await _client.CommitAsync([FirestoreWrite.Set(name, Gap(gap))], cancellationToken);
            return;
        }
        try
        {
            await _client.CommitAsync([FirestoreWrite.Create(name, Gap(gap))], cancellationToken);
        }
        catch (GcpApiException e) when (e.Status == "ALREADY_EXISTS")
        {
            await _client.CommitAsync([FirestoreWrite.UpdateExisting(name, new Dictionary<string, object?> { [Reason] = gap.Reason })], cancellationToken);
        }
    }

    public async Task<IReadOnlyList<RecordingGap>> ListGapsAsync(CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // Gaps have no length limit (a camera can be offline for weeks), so the end is filtered here.
        FirestoreQuery q = new FirestoreQuery(Gaps)
            .Where(RecorderId, FirestoreOperator.Equal, camera.RecorderId)
            .Where(CameraId, FirestoreOperator.Equal, camera.CameraId)
            .Where(StartTime, FirestoreOperator.LessThan, to)
            .OrderBy(StartTime);
        return [.. (await _client.RunQueryAsync(q, cancellationToken)).Select(ToGap).Where(g => g.EndTime is not { } end || end > from)];
    }

    public async Task UpsertCameraAsync(CameraInfo camera, CancellationToken cancellationToken) =>
        await _client.CommitAsync([FirestoreWrite.Set(_client.DocumentName(Cameras, camera.Key.ToString()), Camera(camera))], cancellationToken);

    /// <summary>
    /// The cameras (a short list: read whole, then limited to the scope here). A document of the layout before camera
    /// keys counts as its recorder's camera unless that recorder has written the camera's keyed document since.
    /// </summary>
    public async Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CatalogScope scope, CancellationToken cancellationToken)
    {
        if (scope.IsEmpty)
        {
            return [];
        }
        var cameras = new SortedDictionary<CameraKey, CameraInfo>();
        foreach (FirestoreDocument doc in await _client.RunQueryAsync(new FirestoreQuery(Cameras), cancellationToken))
        {
            CameraInfo camera = ToCamera(doc, out bool legacy);
            if (scope.Allows(camera.Key) && (!legacy || !cameras.ContainsKey(camera.Key)))
            {
                cameras[camera.Key] = camera;
            }
        }
        return [.. cameras.Values];
    }

    /// <summary>
    /// Stores the heartbeat unless a newer one is there: read, decide, and commit with the read's update time (or
    /// create-only when there was none), again when another writer got there first.
    /// </summary>
    public async Task RecordHeartbeatAsync(RecorderHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        string name = _client.DocumentName(Recorders, heartbeat.RecorderId);
        await Guarded(name, async ct =>
        {
            FirestoreDocument? existing = await _client.GetAsync(name, ct);
            if (existing is not null && existing.GetTimestamp(SentAt) > heartbeat.SentAt)
            {
                return false;
            }
            Dictionary<string, object?> fields = Recorder(heartbeat, _time.GetUtcNow());
            FirestoreWrite write = existing is null
                ? FirestoreWrite.Create(name, fields)
                : new FirestoreWrite(name, fields, null, null, existing.UpdateTime);
            await _client.CommitAsync([write], ct);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<RecorderStatus>> ListRecordersAsync(CancellationToken cancellationToken) =>
        [.. (await _client.RunQueryAsync(new FirestoreQuery(Recorders).OrderBy(FirestoreQuery.DocumentNameField), cancellationToken)).Select(ToRecorder)];

    public async Task<string?> GetCheckpointAsync(string name, CancellationToken cancellationToken) =>
        await _client.GetAsync(_client.DocumentName(Checkpoints, name), cancellationToken) is { } doc ? doc.GetNullableString(Value) : null;

    public async Task SaveCheckpointAsync(string name, string? value, CancellationToken cancellationToken) =>
        await _client.CommitAsync([FirestoreWrite.Set(_client.DocumentName(Checkpoints, name),
            new Dictionary<string, object?> { [Value] = value, [UpdatedAt] = _time.GetUtcNow() })], cancellationToken);

    /// <summary>A compare-and-set move to <paramref name="target"/>, only from a state <see cref="CloudTransitions"/> allows.</summary>
    /// <param name="refuse">A condition on the document, besides its state, under which the change is Refused (a legal hold).</param>
    private async Task<TransitionOutcome> Transition(
        string id, CloudState target, Func<DateTimeOffset, FirestoreDocument, Dictionary<string, object?>> changes,
        CancellationToken cancellationToken, Func<FirestoreDocument, bool>? refuse = null)
    {
        if (NameOf(id) is not { } name)
        {
            return TransitionOutcome.NotFound;
        }
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is not { } doc)
            {
                return TransitionOutcome.NotFound;
            }
            CloudState state = StateNames.ParseCloud(doc.GetString(State));
            if (state == target)
            {
                return TransitionOutcome.AlreadyDone;
            }
            if (!CloudTransitions.From(target).Contains(state) || refuse?.Invoke(doc) == true)
            {
                return TransitionOutcome.Refused;
            }
            DateTimeOffset now = _time.GetUtcNow();
            Dictionary<string, object?> fields = changes(now, doc);
            fields[State] = target.ToWire();
            fields[UpdatedAt] = now;
            // A recording written before shards gets its shard on its next change.
            fields[Shard] = ShardOf(doc.GetString(RecorderId), doc.GetString(CameraId));
            fields[CatalogDocuments.Version] = doc.GetInt64(CatalogDocuments.Version) + 1;
            await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, fields, doc.UpdateTime)], ct);
            return TransitionOutcome.Applied;
        }, cancellationToken);
    }

    /// <summary>Runs read-decide-commit again while another writer keeps getting there first, then gives up with a transient error.</summary>
    private async Task<T> Guarded<T>(string name, Func<CancellationToken, ValueTask<T>> step, CancellationToken cancellationToken)
    {
        try
        {
            return await _conflicts.ExecuteAsync(step, cancellationToken);
        }
        catch (GcpApiException e) when (IsConflict(e))
        {
            throw new GcpTransientException(
                $"{name} kept changing under {_options.ConflictRetries + 1} attempts to change it; try again later.", e.HttpStatus, e.Status, e);
        }
    }

    /// <summary>Recordings after the cursor, newest first, until <paramref name="want"/> overlap [from, to) or there are no more.</summary>
    private async Task<List<Recording>> ScanAsync(
        Func<FirestoreQuery, FirestoreQuery> filter, DateTimeOffset? from, DateTimeOffset? to, PageCursor? after, int want, CancellationToken cancellationToken)
    {
        FirestoreQuery q = filter(new FirestoreQuery(Recordings));
        (DateTimeOffset Start, string Id)? cursor = after is null ? null : (after.StartTime, after.Id);
        if (to is { } end)
        {
            q = q.Where(StartTime, FirestoreOperator.LessThan, end);
        }
        if (from is { } start && start - DateTimeOffset.MinValue > _options.MaxRecordingDuration)
        {
            q = q.Where(StartTime, FirestoreOperator.GreaterThan, start - _options.MaxRecordingDuration);
        }
        q = q.OrderBy(StartTime, descending: true).OrderBy(FirestoreQuery.DocumentNameField, descending: true);
        var found = new List<Recording>();
        while (found.Count < want)
        {
            int limit = want - found.Count;
            FirestoreQuery page = q.Limit(limit);
            if (cursor is { } c)
            {
                page = page.StartAfter(c.Start, new FirestoreReference(_client.DocumentName(Recordings, c.Id)));
            }
            IReadOnlyList<FirestoreDocument> docs = await _client.RunQueryAsync(page, cancellationToken);
            foreach (FirestoreDocument doc in docs)
            {
                Recording r = ToRecording(doc);
                cursor = (r.Announcement.StartTime, r.Id);
                if (from is not { } f || r.Announcement.EndTime > f)
                {
                    found.Add(r);
                }
            }
            if (docs.Count < limit)
            {
                break;
            }
        }
        return found;
    }

    private string? NameOf(string id)
    {
        try
        {
            return _client.DocumentName(Recordings, id);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Another writer got there first: a stale update time, contention, or a create that lost the race.</summary>
    private static bool IsConflict(GcpApiException e) => e.Status is "FAILED_PRECONDITION" or "ABORTED" or "ALREADY_EXISTS" && e is not GcpTransientException;
}
