using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Reconcile;

/// <summary>How placing or releasing a legal hold went, in the catalog and on the archived object.</summary>
/// <param name="Catalog">The catalog's answer (<see cref="TransitionOutcome"/>).</param>
/// <param name="Storage">What the archived object's event-based hold is now: true held, false released, null when there is no archived object (yet).</param>
/// <param name="StorageProblem">Why the object's hold could not be set (the catalog's change stands; a repeat or the sweep finishes it).</param>
public sealed record HoldResult(TransitionOutcome Catalog, bool? Storage, string? StorageProblem);

/// <summary>
/// A legal hold in the catalog and on the archived object (Cloud Storage's event-based hold; on the embedded backend a
/// held object cannot be deleted or overwritten either), so that not even a mistaken delete, a retention rule or a
/// hand with the console can destroy held footage.
/// <para>
/// Order and crash safety. Placing: the catalog first, then the object. Retention reads the catalog just before every
/// delete, so the moment the catalog holds, retention keeps away; a crash before the object's hold is set leaves the
/// catalog holding and the object not, which a repeat of the command or the reconcile sweep's <c>holds</c> phase
/// (<see cref="EnsureStorageHoldAsync"/> for every held recording) completes. Releasing: the object first, then the
/// catalog, so a crash between leaves the catalog holding (retention still keeps away) and the sweep puts the object's
/// hold back: an interrupted release fails safe, and running it again finishes it. Every step is idempotent.
/// </para>
/// </summary>
public sealed class LegalHolds(ICatalog catalog, IObjectStore store, string archiveBucket)
{
    public async Task<HoldResult> PlaceAsync(string recordingId, string reason, CancellationToken cancellationToken)
    {
        TransitionOutcome outcome = await catalog.SetLegalHoldAsync(recordingId, true, reason, cancellationToken);
        if (outcome is not (TransitionOutcome.Applied or TransitionOutcome.AlreadyDone))
        {
            return new HoldResult(outcome, null, null);
        }
        Recording? r = await catalog.GetAsync(recordingId, cancellationToken);
        return await SetObjectHoldAsync(outcome, r, hold: true, cancellationToken);
    }

    public async Task<HoldResult> ReleaseAsync(string recordingId, CancellationToken cancellationToken)
    {
        Recording? r = await catalog.GetAsync(recordingId, cancellationToken);
        if (r is null)
        {
            return new HoldResult(TransitionOutcome.NotFound, null, null);
        }
        HoldResult storage = await SetObjectHoldAsync(TransitionOutcome.Applied, r, hold: false, cancellationToken);
        if (storage.StorageProblem is not null)
        {
            // The object stays held, so the catalog does too: a release is only done when both are.
            return storage with { Catalog = TransitionOutcome.Refused };
        }
        TransitionOutcome outcome = await catalog.SetLegalHoldAsync(recordingId, false, null, cancellationToken);
        return storage with { Catalog = outcome };
    }

    /// <summary>
    /// Holds the archived object of a recording the catalog holds; true when it had to (the object was not held yet).
    /// Nothing to do for a recording not archived yet: the next sweep after its archiving holds it.
    /// </summary>
    public async Task<bool> EnsureStorageHoldAsync(Recording held, CancellationToken cancellationToken)
    {
        if (!held.LegalHold || held is not { State: CloudState.Archived or CloudState.Salvaged, ArchiveObject: { } name })
        {
            return false;
        }
        StoredObject? current = await store.GetAsync(archiveBucket, name, cancellationToken);
        if (current is null || current.EventBasedHold)
        {
            return false;
        }
        await store.SetEventBasedHoldAsync(archiveBucket, name, true, cancellationToken);
        return true;
    }

    private async Task<HoldResult> SetObjectHoldAsync(TransitionOutcome outcome, Recording? r, bool hold, CancellationToken cancellationToken)
    {
        if (r is not { State: CloudState.Archived or CloudState.Salvaged, ArchiveObject: { } name })
        {
            return new HoldResult(outcome, null, null);
        }
        try
        {
            StoredObject o = await store.SetEventBasedHoldAsync(archiveBucket, name, hold, cancellationToken);
            return new HoldResult(outcome, o.EventBasedHold, null);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.NotFound)
        {
            return new HoldResult(outcome, null, null);
        }
        catch (ObjectStoreException e)
        {
            return new HoldResult(outcome, !hold, $"gs://{archiveBucket}/{name}: {e.Message}");
        }
    }
}
