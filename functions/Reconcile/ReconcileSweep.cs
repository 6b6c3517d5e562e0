using Cctv.Functions.Finalize;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Reconcile;

/// <summary>One call of the sweep: which job, how much work at most, and where to go on from.</summary>
public sealed record SweepRequest(string Job, int Limit, string? Continuation);

/// <summary>
/// The reconcile sweep (Cloud Scheduler, every few minutes) and the retention job (daily), over any backend.
/// Reconcile: objects in staging (processed again when their event was lost or failed; reported when no recording
/// claims them), recordings announced but not staged past the SLA, staged but not archived (processed again),
/// quarantined and not uploaded again, recorders whose heartbeat stopped, legal holds the catalog has and the archived
/// object does not (<see cref="LegalHolds"/>). Retention: archived and salvaged recordings older than
/// their camera's retention, unless under a legal hold, are deleted from the archive and marked expired.
/// Each call looks at no more than its limit of items; when that runs out, the report carries a continuation, also
/// kept as a checkpoint in the catalog so that the next scheduled call goes on from there. Every step is one of the
/// guarded, idempotent steps the event path uses, so a sweep racing an event, or two sweeps, change nothing twice.
/// </summary>
public sealed partial class ReconcileSweep(ArchiveService archive, ICatalog catalog, IObjectStore store, SweepOptions options, TimeProvider time,
    ILogger<ReconcileSweep> log, IAppendSessions? sessions = null)
{
    public const string ReconcileJob = "reconcile";
    public const string RetentionJob = "retention";
    public const int DefaultLimit = 500;
    public const int MaxLimit = 10_000;

    private const int Batch = 100;
    private static readonly string[] ReconcilePhases = ["salvage", "staging", "announced", "staged", "quarantined", "recorders", "holds"];
    private static readonly string[] RetentionPhases = ["retention"];

    public static IReadOnlyList<string> Jobs { get; } = [ReconcileJob, RetentionJob];

    public SweepOptions Options => options;

    public static string CheckpointName(string job) => "sweep-" + job;

    /// <summary>
    /// Runs the job. Throws <see cref="ArgumentException"/> for an unknown job or limit and <see cref="FormatException"/>
    /// for a continuation it did not issue; a failure to list (the catalog or the bucket is down) is thrown, never reported as "nothing found".
    /// </summary>
    public async Task<SweepReport> RunAsync(SweepRequest request, CancellationToken cancellationToken)
    {
        string[] phases = request.Job switch
        {
            ReconcileJob => ReconcilePhases,
            RetentionJob => RetentionPhases,
            _ => throw new ArgumentException($"job '{request.Job}' is unknown: use {string.Join(" or ", Jobs)}"),
        };
        if (request.Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentException($"limit must be from 1 to {MaxLimit}");
        }
        (SweepContinuation? from, string resumedFrom) = await StartingPointAsync(request, cancellationToken);
        int first = from is null ? 0 : Array.IndexOf(phases, from.Phase);
        if (first < 0)
        {
            throw new FormatException("continuation is not a token this sweep issued");
        }
        var run = new Run(new SweepReport
        {
            Job = request.Job,
            StartedAt = time.GetUtcNow(),
            Limit = request.Limit,
            ResumedFrom = resumedFrom,
        }, request.Limit, time.GetUtcNow());

        SweepContinuation? stop = null;
        for (int i = first; i < phases.Length && stop is null; i++)
        {
            SweepContinuation? at = i == first ? from : null;
            stop = phases[i] switch
            {
                "salvage" => await SalvageAsync(run, cancellationToken),
                "staging" => await StagingAsync(run, at, cancellationToken),
                "announced" => await AnnouncedAsync(run, at, cancellationToken),
                "staged" => await StagedAsync(run, at, cancellationToken),
                "quarantined" => await QuarantinedAsync(run, at, cancellationToken),
                "recorders" => await RecordersAsync(run, cancellationToken),
                "holds" => await HoldsAsync(run, at, cancellationToken),
                _ => await RetentionAsync(run, at, cancellationToken),
            };
        }
        SweepReport report = run.Report;
        report.Complete = stop is null;
        report.Continuation = stop?.Encode();
        await catalog.SaveCheckpointAsync(CheckpointName(request.Job), report.Continuation, cancellationToken);
        report.FinishedAt = time.GetUtcNow();
        log.Log(report.Errors.Count > 0 ? LogLevel.Warning : LogLevel.Information,
            "Sweep {Job}: examined {Examined} (limit {Limit}, from {ResumedFrom}); re-drove {Redriven}, orphans {Orphans}, not staged past the SLA {NotStaged}, " +
            "quarantined past the SLA {Quarantined}, recorders offline {Offline}, salvaged {Salvaged}, expired {Expired}, errors {Errors}; {Completion}",
            report.Job, report.Examined, report.Limit, report.ResumedFrom, report.Redriven.Count, report.Orphans.Count, report.NotStagedPastSla.Count,
            report.QuarantinedPastSla.Count, report.RecordersOffline.Count, report.Salvaged.Count, report.Expired.Count, report.Errors.Count,
            report.Complete ? "complete" : "to be continued");
        return report;
    }

    private async Task<(SweepContinuation?, string)> StartingPointAsync(SweepRequest request, CancellationToken cancellationToken)
    {
        if (request.Continuation is { } token)
        {
            SweepContinuation given = SweepContinuation.Decode(token);
            return given.Job == request.Job ? (given, "request") : throw new FormatException($"continuation belongs to the {given.Job} job, not {request.Job}");
        }
        if (await catalog.GetCheckpointAsync(CheckpointName(request.Job), cancellationToken) is { } saved)
        {
            try
            {
                SweepContinuation stored = SweepContinuation.Decode(saved);
                if (stored.Job == request.Job)
                {
                    return (stored, "checkpoint");
                }
            }
            catch (FormatException)
            {
            }
            log.LogWarning("The stored checkpoint of the {Job} sweep is unreadable; starting from the beginning", request.Job);
        }
        return (null, "start");
    }

    private async Task<SweepContinuation?> StagingAsync(Run run, SweepContinuation? at, CancellationToken cancellationToken)
    {
        string? after = at?.AfterObject;
        string? last = after;
        var batch = new List<StoredObject>();
        await foreach (StoredObject o in store.ListAsync(archive.Buckets.Staging, "", cancellationToken))
        {
            if (after is not null && string.CompareOrdinal(o.Name, after) <= 0)
            {
                continue;
            }
            if (run.Spent)
            {
                await StagedObjectsAsync(run, batch, cancellationToken);
                return new SweepContinuation(run.Report.Job, "staging", AfterObject: last);
            }
            run.Take();
            batch.Add(o);
            last = o.Name;
            if (batch.Count == Batch)
            {
                await StagedObjectsAsync(run, batch, cancellationToken);
                batch.Clear();
            }
        }
        await StagedObjectsAsync(run, batch, cancellationToken);
        return null;
    }

    private async Task StagedObjectsAsync(Run run, List<StoredObject> objects, CancellationToken cancellationToken)
    {
        if (objects.Count == 0)
        {
            return;
        }
        string[] ids = [.. objects.Select(o => ObjectNames.RecordingIdOf(o.Name)).OfType<string>().Distinct()];
        Dictionary<string, Recording> known = (await catalog.GetManyAsync(ids, cancellationToken)).ToDictionary(r => r.Id);
        foreach (StoredObject o in objects)
        {
            if (o.Name.StartsWith(ObjectNames.ManifestPrefix, StringComparison.Ordinal))
            {
                continue; // an evidence manifest: its finalize event checked and archived it; not a recording
            }
            bool pastSla = o.Updated < run.Now - options.StagingSla;
            string? id = ObjectNames.RecordingIdOf(o.Name);
            if (id is null || !known.TryGetValue(id, out Recording? recording))
            {
                var item = new { Object = o.Name, o.Size, o.Updated, RecordingId = id, Reason = id is null ? "not a recording object" : "no catalog entry" };
                (pastSla ? run.Report.Orphans : run.Report.AwaitingAnnouncement).Add(item);
                continue;
            }
            if (recording.State is CloudState.Lost or CloudState.Expired)
            {
                run.Report.Orphans.Add(new { Object = o.Name, o.Size, o.Updated, RecordingId = id, Reason = $"its recording is {recording.State.ToWire()}: {recording.Reason}" });
                continue;
            }
            if (o.Updated >= run.Now - options.RedriveAfter)
            {
                continue; // its finalize event is most likely still on its way
            }
            await RedriveAsync(run, id, o.Name, "in staging", cancellationToken);
        }
    }

    private async Task RedriveAsync(Run run, string id, string objectName, string why, CancellationToken cancellationToken)
    {
        try
        {
            ArchiveOutcome outcome = await archive.ProcessAsync(objectName, cancellationToken);
            run.Report.Redriven.Add(new { RecordingId = id, Object = objectName, Why = why, Outcome = outcome.ToString() });
            if (outcome is ArchiveOutcome.Archived or ArchiveOutcome.Quarantined)
            {
                log.LogWarning("The sweep found recording {RecordingId} {Why} and processed it: {Outcome} (its event was lost or failed)", id, why, outcome);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Report.Errors.Add(new { RecordingId = id, Object = objectName, Error = e.Message });
            log.LogWarning("The sweep could not process recording {RecordingId} ({Object}): {Error}; the next sweep tries again", id, objectName, e.Message);
        }
    }

    private async Task<SweepContinuation?> AnnouncedAsync(Run run, SweepContinuation? at, CancellationToken cancellationToken)
    {
        DateTimeOffset due = run.Now - options.StagingSla;
        return await ByStateAsync(run, CloudState.Announced, "announced", at, r =>
        {
            if (r.AnnouncedAt >= due)
            {
                return false; // oldest first: every later one is younger still
            }
            run.Report.NotStagedPastSla.Add(new
            {
                RecordingId = r.Id,
                r.Announcement.RecorderId,
                r.CameraId,
                r.Announcement.StartTime,
                r.AnnouncedAt,
                MinutesWaiting = Math.Round((run.Now - r.AnnouncedAt).TotalMinutes, 1),
            });
            return true;
        }, cancellationToken);
    }

    private async Task<SweepContinuation?> StagedAsync(Run run, SweepContinuation? at, CancellationToken cancellationToken)
    {
        var toRedrive = new List<Recording>();
        SweepContinuation? stop = await ByStateAsync(run, CloudState.Staged, "staged", at, r =>
        {
            if ((r.StagedAt ?? r.UpdatedAt) < run.Now - options.RedriveAfter)
            {
                toRedrive.Add(r);
            }
            return true;
        }, cancellationToken);
        foreach (Recording r in toRedrive)
        {
            await RedriveAsync(run, r.Id, r.Announcement.StagingObject, "staged but not archived", cancellationToken);
        }
        return stop;
    }

    private async Task<SweepContinuation?> QuarantinedAsync(Run run, SweepContinuation? at, CancellationToken cancellationToken) =>
        await ByStateAsync(run, CloudState.Quarantined, "quarantined", at, r =>
        {
            if (r.UpdatedAt < run.Now - options.StagingSla)
            {
                run.Report.QuarantinedPastSla.Add(new { RecordingId = r.Id, r.Announcement.RecorderId, r.CameraId, r.Reason, QuarantinedAt = r.UpdatedAt });
            }
            return true;
        }, cancellationToken);

    /// <summary>Walks the recordings in a state, oldest announcement first, until <paramref name="visit"/> says stop or the budget runs out.</summary>
    private async Task<SweepContinuation?> ByStateAsync(Run run, CloudState state, string phase, SweepContinuation? at, Func<Recording, bool> visit,
        CancellationToken cancellationToken)
    {
        StateCursor? cursor = at is { AfterAnnouncedAt: { } t, AfterId: { } i } ? new StateCursor(t, i) : null;
        while (true)
        {
            if (run.Spent)
            {
                return new SweepContinuation(run.Report.Job, phase, AfterAnnouncedAt: cursor?.AnnouncedAt, AfterId: cursor?.Id);
            }
            int want = Math.Min(run.Left, Batch);
            IReadOnlyList<Recording> page = await catalog.ListByStateAsync(state, cursor, want, cancellationToken);
            foreach (Recording r in page)
            {
                if (!visit(r))
                {
                    return null;
                }
                run.Take();
                cursor = new StateCursor(r.AnnouncedAt, r.Id);
            }
            if (page.Count < want)
            {
                return null;
            }
        }
    }

    private async Task<SweepContinuation?> RecordersAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.Spent)
        {
            return new SweepContinuation(run.Report.Job, "recorders");
        }
        foreach (RecorderStatus recorder in await catalog.ListRecordersAsync(cancellationToken))
        {
            run.Take();
            TimeSpan silent = run.Now - recorder.ReceivedAt;
            if (silent > options.RecorderOfflineAfter)
            {
                RecorderHeartbeat h = recorder.Heartbeat;
                run.Report.RecordersOffline.Add(new
                {
                    recorder.RecorderId,
                    LastHeartbeatAt = recorder.ReceivedAt,
                    MinutesSilent = Math.Round(silent.TotalMinutes, 1),
                    h.BacklogSegments,
                    h.BacklogBytes,
                    h.OldestBacklogSealedAt,
                });
                log.LogWarning("Recorder {RecorderId} has sent no heartbeat for {Minutes:0} minutes (backlog then: {Segments} segments)",
                    recorder.RecorderId, silent.TotalMinutes, h.BacklogSegments);
            }
        }
        return null;
    }

    private async Task<SweepContinuation?> RetentionAsync(Run run, SweepContinuation? at, CancellationToken cancellationToken)
    {
        RetentionPolicy policy = options.Retention;
        if (policy.DefaultDays == 0 && policy.CameraDays.Values.All(d => d == 0))
        {
            return null;
        }
        CameraKey[] cameras = [.. (await catalog.ListCamerasAsync(CatalogScope.Everything, cancellationToken)).Select(c => c.Key)
            .Union(policy.CameraDays.Keys).Distinct().Order()];
        foreach (CameraKey camera in cameras.Where(c => at?.Camera is not { } resume || string.CompareOrdinal(c.ToString(), resume) >= 0))
        {
            if (policy.For(camera) is not { } keep)
            {
                continue;
            }
            DateTimeOffset cutoff = run.Now - keep;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                if (run.Spent)
                {
                    return new SweepContinuation(run.Report.Job, "retention", Camera: camera.ToString());
                }
                int want = Math.Min(run.Left, Batch);
                IReadOnlyList<Recording> due = await catalog.ListArchivedBeforeAsync(camera, cutoff, want, cancellationToken);
                List<Recording> fresh = [.. due.Where(r => seen.Add(r.Id))];
                foreach (Recording r in fresh)
                {
                    run.Take();
                    await ExpireAsync(run, r, keep, cancellationToken);
                }
                if (due.Count < want || fresh.Count == 0)
                {
                    break; // this camera is done, or only recordings that failed this call are left
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Deletes the archive copy, then marks the recording expired. A crash between the two leaves it archived with no
    /// object, which the next run finishes. The legal hold is checked on a fresh read just before the delete; a hold
    /// placed in the instant between is reported loudly (the archive bucket's soft delete can bring the object back).
    /// </summary>
    private async Task ExpireAsync(Run run, Recording candidate, TimeSpan keep, CancellationToken cancellationToken)
    {
        try
        {
            Recording? r = await catalog.GetAsync(candidate.Id, cancellationToken);
            // Archived or salvaged (the footage a break-in leaves is kept by the same policy, not forever): the states the
            // one table lets expire.
            if (r is not { LegalHold: false, ArchiveObject: { } archiveObject } || !CloudTransitions.From(CloudState.Expired).Contains(r.State))
            {
                return;
            }
            if (await HeldInStorageAsync(run, r, archiveObject, cancellationToken))
            {
                return;
            }
            try
            {
                await store.DeleteAsync(archive.Buckets.Archive, archiveObject, r.ArchiveGeneration, cancellationToken);
            }
            catch (ObjectStoreException e) when (e.Error == ObjectStoreError.Permanent)
            {
                // Held in the instant between the look and the delete: left quietly, as above. Anything else is an error.
                if (await HeldInStorageAsync(run, r, archiveObject, cancellationToken))
                {
                    return;
                }
                throw;
            }
            string reason = $"deleted by retention after {keep.TotalDays:0} days";
            TransitionOutcome outcome = await catalog.MarkExpiredAsync(r.Id, reason, cancellationToken);
            if (outcome == TransitionOutcome.Refused)
            {
                log.LogCritical("A legal hold was placed on recording {RecordingId} while retention deleted gs://{Bucket}/{Object}#{Generation}; restore it from the bucket's soft delete",
                    r.Id, archive.Buckets.Archive, archiveObject, r.ArchiveGeneration);
                run.Report.Errors.Add(new { RecordingId = r.Id, Object = archiveObject, Error = "legal hold placed during deletion: restore the object from soft delete" });
                return;
            }
            run.Report.Expired.Add(new { RecordingId = r.Id, r.CameraId, r.Announcement.StartTime, Object = archiveObject });
            log.LogInformation("Retention deleted recording {RecordingId} of camera {CameraId} (started {StartTime:o}, kept {Days:0} days)",
                r.Id, r.CameraId, r.Announcement.StartTime, keep.TotalDays);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Report.Errors.Add(new { RecordingId = candidate.Id, Object = candidate.ArchiveObject, Error = e.Message });
            log.LogWarning("Retention could not delete recording {RecordingId}: {Error}; the next run tries again", candidate.Id, e.Message);
        }
    }

    /// <summary>
    /// Whether the archived object is under an event-based hold although the catalog does not hold the recording (a
    /// release that did not finish, or a hold set by hand): retention leaves it and says so, as an item to look at,
    /// not as an error; the hold is released by running <c>legal-hold release</c> again.
    /// </summary>
    private async Task<bool> HeldInStorageAsync(Run run, Recording r, string archiveObject, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(archive.Buckets.Archive, archiveObject, cancellationToken) is not { EventBasedHold: true })
        {
            return false;
        }
        run.Report.HeldInStorage.Add(new { RecordingId = r.Id, r.CameraId, Object = archiveObject });
        log.LogInformation("Retention kept recording {RecordingId}: gs://{Bucket}/{Object} is under an event-based hold the catalog does not have; run legal-hold release again to let retention delete it",
            r.Id, archive.Buckets.Archive, archiveObject);
        return true;
    }

    /// <summary>One call's report, budget and clock.</summary>
    private sealed class Run(SweepReport report, int limit, DateTimeOffset now)
    {
        public SweepReport Report => report;

        public DateTimeOffset Now => now;

        public int Left { get; private set; } = limit;

        public bool Spent => Left <= 0;

        public void Take()
        {
            Left--;
            report.Examined++;
        }
    }
}
