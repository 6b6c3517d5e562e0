using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Reconcile;

/// <summary>
/// The reconcile job's <c>holds</c> phase: every recording the catalog holds gets its archived object held in storage
/// too (<see cref="LegalHolds.EnsureStorageHoldAsync"/>), which completes a hold whose object step never ran (a crash,
/// an outage) and holds the object of a recording archived after its hold was placed. Idempotent: an object already
/// held is left as it is.
/// </summary>
public sealed partial class ReconcileSweep
{
    private async Task<SweepContinuation?> HoldsAsync(Run run, SweepContinuation? at, CancellationToken cancellationToken)
    {
        var holds = new LegalHolds(catalog, store, archive.Buckets.Archive);
        string? after = at?.AfterId;
        while (true)
        {
            if (run.Spent)
            {
                return new SweepContinuation(run.Report.Job, "holds", AfterId: after);
            }
            int want = Math.Min(run.Left, Batch);
            IReadOnlyList<Recording> held = await catalog.ListLegalHoldsAsync(after, want, cancellationToken);
            foreach (Recording r in held)
            {
                run.Take();
                after = r.Id;
                try
                {
                    if (await holds.EnsureStorageHoldAsync(r, cancellationToken))
                    {
                        run.Report.HoldsPlaced.Add(new { RecordingId = r.Id, r.CameraId, Object = r.ArchiveObject });
                        log.LogWarning("Recording {RecordingId} was under a legal hold in the catalog but its archived object gs://{Bucket}/{Object} was not held; it is now",
                            r.Id, archive.Buckets.Archive, r.ArchiveObject);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    run.Report.Errors.Add(new { RecordingId = r.Id, Object = r.ArchiveObject, Error = "could not hold the archived object: " + e.Message });
                    log.LogWarning("Could not place the event-based hold of recording {RecordingId}: {Error}; the next sweep tries again", r.Id, e.Message);
                }
            }
            if (held.Count < want)
            {
                return null;
            }
        }
    }
}
