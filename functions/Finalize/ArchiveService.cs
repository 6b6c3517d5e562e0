using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Finalize;

/// <summary>The buckets the cloud side works with.</summary>
public sealed record BucketNames(string Staging, string Archive);

/// <summary>What processing a staged object did.</summary>
public enum ArchiveOutcome
{
    Archived,
    AlreadyArchived,
    Quarantined,
    /// <summary>No announcement yet: the sweep tries again once the edge has announced it.</summary>
    AwaitingAnnouncement,
    /// <summary>The object is gone (a stale or repeated event): nothing to do.</summary>
    ObjectGone,
    /// <summary>Not a recording object, a recording already declared lost or expired, or a transition the catalog refused.</summary>
    Ignored,
    /// <summary>The name carries a recording's ID but is not the staging object it was announced with: never processed.</summary>
    NotTheStagingObject,
    /// <summary>A silent recorder's live upload, finished by the sweep, archived as salvaged (issue 12).</summary>
    Salvaged,
    /// <summary>The recorder's full upload of a salvaged recording did not replace the salvaged copy; the catalog says why.</summary>
    SalvageKept,
}

/// <summary>
/// Verifies a staged object against the edge's announcement and archives it: staged, copied to the archive
/// bucket (create-only), archived, staging copy removed. Every step is guarded, so a duplicated, late or
/// out-of-order event, or two handlers at once, change nothing after the first.
/// </summary>
public sealed partial class ArchiveService(IObjectStore store, ICatalog catalog, BucketNames buckets, ILogger<ArchiveService> log)
{
    public BucketNames Buckets => buckets;

    public async Task<ArchiveOutcome> ProcessAsync(string objectName, CancellationToken cancellationToken)
    {
        if (ObjectNames.RecordingIdOf(objectName) is not { } id)
        {
            log.LogWarning("gs://{Bucket}/{Object} is not a recording object; ignored", buckets.Staging, objectName);
            return ArchiveOutcome.Ignored;
        }
        Recording? recording = await catalog.GetAsync(id, cancellationToken);
        if (recording is null)
        {
            log.LogWarning("Recording {RecordingId} was staged before it was announced; the sweep archives it once announced", id);
            return ArchiveOutcome.AwaitingAnnouncement;
        }
        // Before anything touches the name: it may be any string an event carried (../{id}.mp4).
        if (recording.Announcement.StagingObject != objectName)
        {
            log.LogWarning("gs://{Bucket}/{Object} is not where recording {RecordingId} was announced ({Expected}); ignored",
                buckets.Staging, objectName, id, recording.Announcement.StagingObject);
            return ArchiveOutcome.NotTheStagingObject;
        }
        if (recording.State == CloudState.Archived)
        {
            await store.DeleteAsync(buckets.Staging, objectName, null, cancellationToken);
            return ArchiveOutcome.AlreadyArchived;
        }
        if (recording.State == CloudState.Expired)
        {
            // Retention deleted it from the archive; a copy sent again must not bring it back outside retention's view.
            log.LogWarning("Recording {RecordingId} expired ({Reason}); gs://{Bucket}/{Object} is not archived again and is removed", id, recording.Reason, buckets.Staging, objectName);
            if (await store.GetAsync(buckets.Staging, objectName, cancellationToken) is { } again)
            {
                await DeleteQuietlyAsync(buckets.Staging, objectName, again.Generation, cancellationToken);
            }
            return ArchiveOutcome.Ignored;
        }
        if (recording.State == CloudState.Lost)
        {
            log.LogWarning("Recording {RecordingId} is staged but was declared lost ({Reason}); left for an operator", id, recording.Reason);
            return ArchiveOutcome.Ignored;
        }

        if (recording.State == CloudState.Salvaging)
        {
            return await SalvageAsync(recording, objectName, cancellationToken);
        }
        if (recording.State == CloudState.Salvaged)
        {
            return await ReplaceSalvagedAsync(recording, objectName, cancellationToken);
        }

        RecordingAnnouncement a = recording.Announcement;
        StoredObject? staged = await store.GetAsync(buckets.Staging, objectName, cancellationToken);
        if (staged is null)
        {
            return recording.State == CloudState.Staged
                ? await RecoverStagedWithoutObjectAsync(recording, cancellationToken)
                : ArchiveOutcome.ObjectGone;
        }
        string? mismatch =
            staged.Size != a.FileSize ? $"size {staged.Size} != announced {a.FileSize}"
            : staged.Crc32C != a.Crc32C ? $"CRC32C {staged.Crc32C} != announced {a.Crc32C}"
            : staged.Metadata.TryGetValue(ObjectMetadata.Sha256, out string? sha) && sha != a.Sha256 ? $"SHA-256 {sha} != announced {a.Sha256}"
            : null;
        if (mismatch is not null)
        {
            await catalog.MarkQuarantinedAsync(id, $"staged object does not match the announcement: {mismatch}", cancellationToken);
            await DeleteQuietlyAsync(buckets.Staging, objectName, staged.Generation, cancellationToken);
            log.LogError("Recording {RecordingId} quarantined: {Mismatch}; the edge uploads it again", id, mismatch);
            return ArchiveOutcome.Quarantined;
        }

        TransitionOutcome stagedOutcome = await catalog.MarkStagedAsync(id, staged.Generation, cancellationToken);
        if (stagedOutcome is not (TransitionOutcome.Applied or TransitionOutcome.AlreadyDone))
        {
            // The recording moved on since it was read (lost, expired, archived by another handler): nothing more is done here.
            log.LogWarning("The catalog refused to mark recording {RecordingId} staged ({Outcome}); finalize stops", id, stagedOutcome);
            return ArchiveOutcome.Ignored;
        }
        string archiveName = ObjectNames.Archive(a.Camera, a.StartTime, id);
        StoredObject archived;
        try
        {
            // Only the generation that was verified against the announcement is copied.
            archived = await store.CopyAsync(buckets.Staging, objectName, staged.Generation, buckets.Archive, archiveName, ifGenerationMatch: 0, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.PreconditionFailed)
        {
            // Either the archive has the object already (an earlier attempt), or the staged object is no longer the generation verified.
            if (await store.GetAsync(buckets.Archive, archiveName, cancellationToken) is not { } existing)
            {
                log.LogWarning("gs://{Bucket}/{Object} is no longer generation {Generation}, which was verified; its own event archives the newer one",
                    buckets.Staging, objectName, staged.Generation);
                return ArchiveOutcome.ObjectGone;
            }
            archived = existing;
        }
        if (archived.Crc32C != a.Crc32C || archived.Size != a.FileSize)
        {
            throw new InvalidOperationException(
                $"gs://{buckets.Archive}/{archiveName} holds other bytes (CRC32C {archived.Crc32C}, {archived.Size} bytes) than recording {id} was announced with ({a.Crc32C}, {a.FileSize} bytes); refusing to archive over it");
        }
        TransitionOutcome outcome = await catalog.MarkArchivedAsync(id, archiveName, archived.Generation, cancellationToken);
        if (outcome == TransitionOutcome.Refused || outcome == TransitionOutcome.NotFound)
        {
            log.LogWarning("The catalog refused to mark recording {RecordingId} archived ({Outcome}); finalize stops and the staged copy stays", id, outcome);
            return ArchiveOutcome.Ignored;
        }
        await DeleteQuietlyAsync(buckets.Staging, objectName, staged.Generation, cancellationToken);
        if (outcome == TransitionOutcome.Applied)
        {
            log.LogInformation("Archived recording {RecordingId} as gs://{Bucket}/{Object}", id, buckets.Archive, archiveName);
            return ArchiveOutcome.Archived;
        }
        return ArchiveOutcome.AlreadyArchived;
    }

    /// <summary>
    /// The catalog says staged but the staging copy is gone: either an earlier attempt copied it to the archive and
    /// stopped before marking it (then it is marked now), or it vanished (removed by hand, or by the staging bucket's
    /// lifecycle after a long outage): then the edge is asked for it again by quarantining it.
    /// </summary>
    private async Task<ArchiveOutcome> RecoverStagedWithoutObjectAsync(Recording recording, CancellationToken cancellationToken)
    {
        RecordingAnnouncement a = recording.Announcement;
        // An attempt before an upgrade may have copied it under the archive's earlier layout.
        foreach (string archiveName in ObjectNames.ArchiveNamesOf(a.Camera, a.StartTime, a.Id))
        {
            StoredObject? archived = await store.GetAsync(buckets.Archive, archiveName, cancellationToken);
            if (archived is null || archived.Crc32C != a.Crc32C || archived.Size != a.FileSize)
            {
                continue;
            }
            TransitionOutcome marked = await catalog.MarkArchivedAsync(a.Id, archiveName, archived.Generation, cancellationToken);
            if (marked == TransitionOutcome.Applied)
            {
                log.LogInformation("Archived recording {RecordingId} as gs://{Bucket}/{Object} (copied by an earlier attempt)", a.Id, buckets.Archive, archiveName);
                return ArchiveOutcome.Archived;
            }
            return ArchiveOutcome.AlreadyArchived;
        }
        const string Reason = "the staged object disappeared before it was archived; upload it again";
        if (await catalog.MarkQuarantinedAsync(a.Id, Reason, cancellationToken) == TransitionOutcome.Applied)
        {
            log.LogError("Recording {RecordingId} was staged but gs://{Bucket}/{Object} is gone and not in the archive; quarantined so the edge uploads it again",
                a.Id, buckets.Staging, a.StagingObject);
            return ArchiveOutcome.Quarantined;
        }
        return ArchiveOutcome.ObjectGone;
    }

    private async Task DeleteQuietlyAsync(string bucket, string name, long generation, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(bucket, name, generation, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Error is ObjectStoreError.PreconditionFailed or ObjectStoreError.NotFound)
        {
            // A newer generation (a re-upload) or already gone: not ours to delete.
        }
    }
}
