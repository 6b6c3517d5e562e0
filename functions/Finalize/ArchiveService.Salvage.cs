using System.Security.Cryptography;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Media;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Finalize;

/// <summary>
/// Finalize's part of the salvage (issue 12). A staged object of a salvaging recording is what the sweep finished at the
/// bytes the store held: it is read once to compute its SHA-256, size and CRC32C (checked against the store's), and
/// again for the covered time (<see cref="FragmentedMp4"/>), copied to the archive create-only and marked salvaged
/// (end = start + covered). A staged object of a salvaged recording is the recorder's own full upload after it came
/// back: it replaces the salvaged copy only if it matches the recorder's announcement and the salvaged bytes are its
/// prefix (SHA-256 of its first N bytes); otherwise the salvaged copy stays and the catalog records why.
/// </summary>
public sealed partial class ArchiveService
{
    private async Task<ArchiveOutcome> SalvageAsync(Recording recording, string objectName, CancellationToken cancellationToken)
    {
        RecordingAnnouncement a = recording.Announcement;
        if (await store.GetAsync(buckets.Staging, objectName, cancellationToken) is not { } staged)
        {
            return ArchiveOutcome.ObjectGone; // not finished yet: the sweep finishes the session (again) and the event comes then
        }
        SegmentDigest digest;
        await using (Stream content = await store.OpenReadAsync(buckets.Staging, objectName, cancellationToken))
        {
            digest = await SegmentHasher.HashAsync(content, cancellationToken);
        }
        if (digest.Size != staged.Size || digest.Crc32CBase64 != staged.Crc32C)
        {
            throw new InvalidOperationException(
                $"gs://{buckets.Staging}/{objectName} read {digest.Size} bytes with CRC32C {digest.Crc32CBase64}; the store says {staged.Size} bytes and {staged.Crc32C}: read again later");
        }
        (TimeSpan? covered, string? why) = await CoveredAsync(objectName, cancellationToken);
        if (covered is null)
        {
            string reason = $"{recording.Reason}; the {digest.Size:N0} bytes the store held {why}: nothing playable";
            await catalog.MarkLostAsync(a.Id, reason, cancellationToken);
            await DeleteQuietlyAsync(buckets.Staging, objectName, staged.Generation, cancellationToken);
            log.LogWarning("Salvaged recording {RecordingId} has no whole fragment in its {Bytes} bytes: lost", a.Id, digest.Size);
            return ArchiveOutcome.Ignored;
        }
        string archiveName = ObjectNames.Archive(a.Camera, a.StartTime, a.Id);
        StoredObject archived = await CopyToArchiveAsync(objectName, staged, archiveName, ifGenerationMatch: 0, cancellationToken);
        if (archived.Crc32C != digest.Crc32CBase64 || archived.Size != digest.Size)
        {
            throw new InvalidOperationException(
                $"gs://{buckets.Archive}/{archiveName} holds other bytes (CRC32C {archived.Crc32C}, {archived.Size} bytes) than the salvaged {objectName} ({digest.Crc32CBase64}, {digest.Size} bytes); refusing to archive over it");
        }
        var copy = new SalvagedCopy(staged.Generation, archiveName, archived.Generation, digest.Size, digest.Sha256, digest.Crc32CBase64,
            a.StartTime + covered.Value, SalvageReasons.Finished(recording.Reason, digest.Size));
        TransitionOutcome outcome = await catalog.MarkSalvagedAsync(a.Id, copy, cancellationToken);
        if (outcome is TransitionOutcome.Refused or TransitionOutcome.NotFound)
        {
            log.LogWarning("The catalog refused to mark recording {RecordingId} salvaged ({Outcome}); finalize stops and the staged copy stays", a.Id, outcome);
            return ArchiveOutcome.Ignored;
        }
        log.LogWarning("Salvaged recording {RecordingId} of camera {Camera}: {Bytes} bytes, footage up to {End:o}, archived as gs://{Bucket}/{Object}",
            a.Id, a.Camera, digest.Size, copy.EndTime, buckets.Archive, archiveName);
        if (recording.RecorderAnnouncement is { } full && full.Sha256 == digest.Sha256 && full.FileSize == digest.Size)
        {
            // The recorder finished its own session before the sweep did: the salvage is its whole file, announced.
            await catalog.ReplaceSalvagedAsync(a.Id, staged.Generation, archiveName, archived.Generation, cancellationToken);
        }
        await DeleteQuietlyAsync(buckets.Staging, objectName, staged.Generation, cancellationToken);
        return ArchiveOutcome.Salvaged;
    }

    /// <summary>A staged object of a salvaged recording: the recorder's own upload after it came back, or the salvaged copy's event again.</summary>
    private async Task<ArchiveOutcome> ReplaceSalvagedAsync(Recording recording, string objectName, CancellationToken cancellationToken)
    {
        RecordingAnnouncement salvaged = recording.Announcement;
        if (await store.GetAsync(buckets.Staging, objectName, cancellationToken) is not { } staged)
        {
            return ArchiveOutcome.ObjectGone;
        }
        if (staged.Generation == recording.StagingGeneration)
        {
            await DeleteQuietlyAsync(buckets.Staging, objectName, staged.Generation, cancellationToken); // the salvaged copy, archived already
            return ArchiveOutcome.AlreadyArchived;
        }
        if (recording.ReplacementRefused is not null)
        {
            return ArchiveOutcome.SalvageKept; // decided before: left for an operator
        }
        if (recording.RecorderAnnouncement is not { } full)
        {
            log.LogInformation("Recording {RecordingId} was salvaged; the recorder's upload waits for its announcement", salvaged.Id);
            return ArchiveOutcome.AwaitingAnnouncement;
        }
        string? refusal =
            staged.Size != full.FileSize ? $"its upload has {staged.Size} bytes, its announcement {full.FileSize}"
            : staged.Crc32C != full.Crc32C ? $"its upload's CRC32C {staged.Crc32C} is not the announced {full.Crc32C}"
            : staged.Metadata.TryGetValue(ObjectMetadata.Sha256, out string? sha) && sha != full.Sha256 ? $"its upload's SHA-256 {sha} is not the announced {full.Sha256}"
            : await PrefixRefusalAsync(objectName, salvaged, cancellationToken);
        if (refusal is not null)
        {
            string why = $"the recorder came back, but {refusal}: the salvaged copy stays; its upload is left at gs://{buckets.Staging}/{objectName} generation {staged.Generation}";
            await catalog.KeepSalvagedAsync(salvaged.Id, why, cancellationToken);
            log.LogError("Recording {RecordingId}: {Why}", salvaged.Id, why);
            return ArchiveOutcome.SalvageKept;
        }
        string archiveName = ObjectNames.Archive(full.Camera, full.StartTime, full.Id);
        bool sameName = archiveName == recording.ArchiveObject;
        // Over the salvaged object only (its generation), or create-only under a new name (the recorder's start time differs).
        StoredObject archived = await CopyToArchiveAsync(objectName, staged, archiveName, sameName ? recording.ArchiveGeneration : 0, cancellationToken);
        if (archived.Crc32C != full.Crc32C || archived.Size != full.FileSize)
        {
            throw new InvalidOperationException(
                $"gs://{buckets.Archive}/{archiveName} holds other bytes (CRC32C {archived.Crc32C}, {archived.Size} bytes) than recording {full.Id} was announced with");
        }
        TransitionOutcome outcome = await catalog.ReplaceSalvagedAsync(salvaged.Id, staged.Generation, archiveName, archived.Generation, cancellationToken);
        if (outcome is TransitionOutcome.Refused or TransitionOutcome.NotFound)
        {
            log.LogWarning("The catalog refused to replace salvaged recording {RecordingId} ({Outcome}); the staged copy stays", salvaged.Id, outcome);
            return ArchiveOutcome.Ignored;
        }
        if (!sameName && recording.ArchiveObject is { } old && recording.ArchiveGeneration is { } oldGeneration)
        {
            await DeleteQuietlyAsync(buckets.Archive, old, oldGeneration, cancellationToken); // no second copy of the same footage
        }
        await DeleteQuietlyAsync(buckets.Staging, objectName, staged.Generation, cancellationToken);
        log.LogInformation("Recording {RecordingId}: the recorder's full upload ({Bytes} bytes) replaced the salvaged {Salvaged} bytes", full.Id, full.FileSize, salvaged.FileSize);
        return ArchiveOutcome.Archived;
    }

    /// <summary>Null when the salvaged bytes (size and SHA-256) are the first bytes of the staged object; else why not.</summary>
    private async Task<string?> PrefixRefusalAsync(string objectName, RecordingAnnouncement salvaged, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 16];
        long left = salvaged.FileSize;
        await using (Stream content = await store.OpenReadAsync(buckets.Staging, objectName, cancellationToken))
        {
            while (left > 0)
            {
                int read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (read == 0)
                {
                    return $"its upload is shorter than the {salvaged.FileSize:N0} salvaged bytes";
                }
                sha.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        string prefix = Convert.ToHexStringLower(sha.GetHashAndReset());
        return prefix == salvaged.Sha256 ? null : $"its first {salvaged.FileSize:N0} bytes (SHA-256 {prefix}) are not the salvaged ones ({salvaged.Sha256})";
    }

    /// <summary>
    /// The covered time, read from the media: the store stopped holding bytes wherever the recorder's last append ended, so
    /// the object plays up to the end of its last whole fragment (<see cref="FragmentedMp4"/>, docs/live-tail.md). Null, with
    /// why, when no fragment is whole or the bytes are no fragmented MP4 the reader understands.
    /// </summary>
    private async Task<(TimeSpan? Covered, string? Why)> CoveredAsync(string objectName, CancellationToken cancellationToken)
    {
        await using Stream content = await store.OpenReadAsync(buckets.Staging, objectName, cancellationToken);
        try
        {
            // The reader is synchronous and bounded (it skips media data); off the request thread all the same.
            FragmentCoverage coverage = await Task.Run(() => FragmentedMp4.Read(content, cancellationToken), cancellationToken);
            return coverage.Fragments > 0 ? (coverage.Covered, null) : (null, "hold no whole fragment");
        }
        catch (MediaFormatException e)
        {
            return (null, $"are no fragmented MP4 this reader understands ({e.Message})");
        }
    }

    /// <summary>Copies the verified generation; when the destination precondition fails, what is there already (an earlier attempt) is returned for the caller to compare.</summary>
    private async Task<StoredObject> CopyToArchiveAsync(string objectName, StoredObject staged, string archiveName, long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        try
        {
            return await store.CopyAsync(buckets.Staging, objectName, staged.Generation, buckets.Archive, archiveName, ifGenerationMatch, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.PreconditionFailed)
        {
            return await store.GetAsync(buckets.Archive, archiveName, cancellationToken)
                ?? throw new InvalidOperationException($"gs://{buckets.Staging}/{objectName} is no longer generation {staged.Generation}, which was verified; its own event handles the newer one", e);
        }
    }
}
