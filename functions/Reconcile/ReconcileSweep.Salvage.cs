using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Reconcile;

/// <summary>
/// The sweep's salvage (issue 12): a recorder that has sent neither a heartbeat nor a live-session report for
/// <see cref="SweepOptions.SalvageAfter"/> (the catalog's clock) is taken for dead, and each of its live sessions whose
/// recording was never announced is finished at the bytes the store holds: first recorded in the catalog
/// (<see cref="ICatalog.BeginSalvageAsync"/>, state salvaging, with the reason), then finished
/// (<see cref="IAppendSessions.FinishAsHeldAsync"/>), whose finalize event archives it as salvaged. A session the store
/// holds nothing of is lost, with the reason. Announced recordings take the normal path (the recorder sealed them).
/// Every step is create-only or guarded, and finishing a finished session returns its object, so a repeated sweep, or
/// a sweep after a crash between the steps, changes nothing twice.
/// </summary>
public sealed partial class ReconcileSweep
{
    private async Task<SweepContinuation?> SalvageAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.Spent)
        {
            return new SweepContinuation(run.Report.Job, "salvage");
        }
        IReadOnlyList<LiveSessionReport> reports = await catalog.ListLiveSessionReportsAsync(cancellationToken);
        if (reports.Count == 0)
        {
            return null;
        }
        Dictionary<string, DateTimeOffset> heartbeats = (await catalog.ListRecordersAsync(cancellationToken))
            .ToDictionary(r => r.RecorderId, r => r.ReceivedAt, StringComparer.Ordinal);
        foreach (LiveSessionReport report in reports)
        {
            DateTimeOffset lastHeard = heartbeats.TryGetValue(report.RecorderId, out DateTimeOffset beat) && beat > report.ReceivedAt ? beat : report.ReceivedAt;
            if (run.Now - lastHeard <= options.SalvageAfter)
            {
                continue; // alive: its own uploads finish its sessions
            }
            Dictionary<string, Recording> known = (await catalog.GetManyAsync([.. report.Sessions.Select(s => s.RecordingId)], cancellationToken))
                .ToDictionary(r => r.Id, StringComparer.Ordinal);
            foreach (LiveSession session in report.Sessions)
            {
                if (run.Spent)
                {
                    return new SweepContinuation(run.Report.Job, "salvage");
                }
                run.Take();
                Recording? recording = known.GetValueOrDefault(session.RecordingId);
                if (recording is not null && recording.State != CloudState.Salvaging)
                {
                    continue; // announced (the normal path), or salvaged, lost or archived already
                }
                await SalvageSessionAsync(run, report.RecorderId, session, lastHeard, recording is null, cancellationToken);
            }
        }
        return null;
    }

    private async Task SalvageSessionAsync(Run run, string recorderId, LiveSession session, DateTimeOffset lastHeard, bool begin, CancellationToken cancellationToken)
    {
        try
        {
            // The catalog refused a report naming other recorders' objects; checked again here, before a URI is used.
            LiveSessionRules.Validate(recorderId, [session]);
        }
        catch (ArgumentException e)
        {
            run.Report.Errors.Add(new { RecorderId = recorderId, session.RecordingId, Error = "not salvaged: " + e.Message });
            log.LogError("Live session {RecordingId} reported by recorder {RecorderId} is not its own; not salvaged: {Error}", session.RecordingId, recorderId, e.Message);
            return;
        }
        if (sessions is null)
        {
            run.Report.Errors.Add(new { RecorderId = recorderId, session.RecordingId, Error = "this backend's store has no append sessions: cannot salvage" });
            return;
        }
        string offline = SalvageReasons.Offline(lastHeard);
        try
        {
            if (begin)
            {
                var synthesized = new RecordingAnnouncement(session.RecordingId, recorderId, session.CameraId, session.CameraId, session.Run, session.Sequence,
                    session.OpenedAt, session.ConfirmedUpTo is { } upTo && upTo > session.OpenedAt ? upTo : session.OpenedAt, session.ConfirmedBytes, "", "", null,
                    "video/mp4", session.StagingObject);
                if (await catalog.BeginSalvageAsync(synthesized, offline, cancellationToken) == TransitionOutcome.Refused)
                {
                    return; // announced (or settled) since the sweep looked: not a salvage
                }
            }
            StoredObject finished;
            try
            {
                finished = await sessions.FinishAsHeldAsync(session.SessionUri, cancellationToken);
            }
            catch (ObjectStoreException e) when (e.Error == ObjectStoreError.NotFound)
            {
                string reason = SalvageReasons.NothingHeld(offline);
                await catalog.MarkLostAsync(session.RecordingId, reason, cancellationToken);
                run.Report.Salvaged.Add(new { RecorderId = recorderId, session.RecordingId, session.CameraId, Outcome = "lost", Reason = reason });
                log.LogWarning("Recorder {RecorderId} is silent; live session {RecordingId} of camera {CameraId} held no byte: lost", recorderId, session.RecordingId, session.CameraId);
                return;
            }
            if (finished.Bucket != archive.Buckets.Staging || finished.Name != session.StagingObject)
            {
                // A session URI that was not this recording's (a forged report): what it finished is not archived as this recording.
                string reason = $"{offline}; its session URI finished gs://{finished.Bucket}/{finished.Name}, not its staging object: not salvaged";
                await catalog.MarkLostAsync(session.RecordingId, reason, cancellationToken);
                run.Report.Errors.Add(new { RecorderId = recorderId, session.RecordingId, Error = reason });
                log.LogError("Recorder {RecorderId}'s live session {RecordingId}: {Reason}", recorderId, session.RecordingId, reason);
                return;
            }
            run.Report.Salvaged.Add(new { RecorderId = recorderId, session.RecordingId, session.CameraId, Outcome = "finished", Object = finished.Name, Bytes = finished.Size });
            log.LogWarning("Recorder {RecorderId} is silent since {LastHeard:o}; finished live session {RecordingId} of camera {CameraId} at {Bytes} bytes",
                recorderId, lastHeard, session.RecordingId, session.CameraId, finished.Size);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Report.Errors.Add(new { RecorderId = recorderId, session.RecordingId, Error = e.Message });
            log.LogWarning("The sweep could not salvage live session {RecordingId} of recorder {RecorderId}: {Error}; the next sweep tries again",
                session.RecordingId, recorderId, e.Message);
        }
    }
}
