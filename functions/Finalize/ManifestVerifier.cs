using System.Globalization;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Finalize;

/// <summary>What checking an uploaded manifest found.</summary>
/// <param name="Breaks">The breaks found (each recorded in the catalog); empty when the manifest checks out.</param>
/// <param name="Archived">Whether the manifest is now in the archive bucket (it is kept whatever it says: a broken one is evidence too).</param>
public sealed record ManifestCheck(CameraKey Camera, long Sequence, IReadOnlyList<ChainBreak> Breaks, bool Archived);

/// <summary>
/// Checks each evidence manifest a recorder uploads (docs/evidence-format.md) as it lands in the staging bucket: keeps
/// it in the archive bucket under the same name (create-only), then verifies it with <see cref="ChainVerifier"/>
/// against the recorder's registered keys, together with its predecessor and successor where they have arrived
/// (continuity: the manifest history and the entry links across them), and compares its segment entries with the
/// catalog's archived recordings (size and SHA-256). Every break is recorded in the catalog with its kind, place and
/// reason, and shown on the camera's timeline; nothing is repaired. A neighbour that has not arrived yet is not a
/// break here: when it arrives, its own check covers the pair.
/// </summary>
public sealed class ManifestVerifier(IObjectStore store, ICatalog catalog, BucketNames buckets, TimeProvider time, ILogger<ManifestVerifier> log)
{
    /// <summary>The camera and sequence a manifest name stands for (<see cref="ObjectNames.Manifest"/>), or null when the name is not one.</summary>
    public static (CameraKey Camera, long Sequence)? Parse(string objectName)
    {
        if (!objectName.StartsWith(ObjectNames.ManifestPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        string[] parts = objectName[ObjectNames.ManifestPrefix.Length..].Split('/');
        if (parts.Length != 2 || !CameraKey.TryParse(parts[0], out CameraKey camera) || parts[1].Length != 19 || !parts[1].EndsWith(".manifest", StringComparison.Ordinal)
            || !long.TryParse(parts[1][..10], NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
        {
            return null;
        }
        return ObjectNames.Manifest(camera, sequence) == objectName ? (camera, sequence) : null;
    }

    public async Task<ManifestCheck?> VerifyAsync(string objectName, CancellationToken cancellationToken)
    {
        if (Parse(objectName) is not (CameraKey camera, long sequence))
        {
            return null;
        }
        byte[]? bytes = await ReadAsync(buckets.Staging, objectName, cancellationToken);
        bool archived = false;
        if (bytes is null)
        {
            // A repeated event after the staging copy went: the archive's copy is the manifest.
            bytes = await ReadAsync(buckets.Archive, objectName, cancellationToken);
            if (bytes is null)
            {
                log.LogWarning("Manifest gs://{Bucket}/{Object} is gone before it could be checked", buckets.Staging, objectName);
                return new ManifestCheck(camera, sequence, [], false);
            }
            archived = true;
        }
        else
        {
            archived = await KeepAsync(objectName, cancellationToken);
        }

        var breaks = new List<ChainBreak>();
        ManifestFile? file = null;
        try
        {
            file = ManifestFile.Parse(bytes);
        }
        catch (FormatException e)
        {
            breaks.Add(new ChainBreak(BreakKind.Altered, $"manifest {sequence}", $"the manifest file cannot be read: {e.Message}", Manifest: sequence));
        }
        var entries = new Dictionary<long, ChainEntry>();
        if (file is not null)
        {
            if (ChainManifest.TryParse(file.Manifest.Bytes, out _) is { } body && body.Sequence != sequence)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"manifest {sequence}", $"the object is named manifest {sequence}, but the manifest in it is number {body.Sequence}", Manifest: sequence));
            }
            IReadOnlyList<EvidencePublicKey> keys = [.. (await catalog.ListRecorderKeysAsync(camera.RecorderId, cancellationToken)).Select(k => EvidencePublicKey.FromBase64(k.PublicKey))];
            var manifests = new List<SignedManifest> { file.Manifest };
            var lines = new List<byte[]>(file.Entries);
            foreach (long neighbour in new[] { sequence - 1, sequence + 1 }.Where(n => n >= 0))
            {
                if (await ReadAsync(buckets.Archive, ObjectNames.Manifest(camera, neighbour), cancellationToken) is { } other)
                {
                    try
                    {
                        ManifestFile near = ManifestFile.Parse(other);
                        manifests.Add(near.Manifest);
                        lines.AddRange(near.Entries);
                    }
                    catch (FormatException)
                    {
                        // that manifest's own check recorded it
                    }
                }
            }
            ChainReport report = ChainVerifier.Verify(new ChainEvidence(camera, manifests, lines.OrderBy(Index).ToList(), keys));
            breaks.AddRange(report.Breaks);
            foreach (ChainEntry e in report.Entries)
            {
                entries[e.Index] = e;
            }
            breaks.AddRange(await CompareWithArchiveAsync(report.Entries, cancellationToken));
        }

        foreach (ChainBreak b in breaks)
        {
            (DateTimeOffset? from, DateTimeOffset? to) = TimesOf(b, entries);
            string kind = KindName(b.Kind);
            await catalog.RecordChainBreakAsync(new ChainBreakRecord(ChainBreakRecord.IdOf(camera, kind, b.Where, b.Detail), camera.RecorderId, camera.CameraId,
                kind, b.Where, b.Detail, from, to, objectName, time.GetUtcNow()), cancellationToken);
            log.LogError("Evidence chain of {Camera} is broken ({Kind} at {Where}): {Detail} (manifest {Object})", camera, kind, b.Where, b.Detail, objectName);
        }
        if (breaks.Count == 0)
        {
            log.LogInformation("Manifest {Sequence} of {Camera} verified", sequence, camera);
        }
        return new ManifestCheck(camera, sequence, breaks, archived);
    }

    /// <summary>The wire name of a break kind (snake case).</summary>
    public static string KindName(BreakKind kind) => kind switch
    {
        BreakKind.ReSigned => "re_signed",
        BreakKind.UnknownKey => "unknown_key",
        BreakKind.BadSignature => "bad_signature",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Segment entries against the catalog's recordings: a recording announced with another size or SHA-256 than its
    /// entry is altered, whatever its state. The announcement is what finalize holds the staged bytes to (CRC32C and
    /// SHA-256) before it archives them, so an entry that agrees with it agrees with the archived bytes too, and a
    /// recording still on its way (a thin uplink keeps segments behind their manifests) is compared now, not never.
    /// </summary>
    /// <remarks>
    /// The entries of the neighbours too: a recording announced only after this manifest's check is compared by its
    /// successor's (a minute later). One announced after both is not compared in the cloud; <c>verify</c> compares
    /// every exported segment's bytes.
    /// </remarks>
    private async Task<List<ChainBreak>> CompareWithArchiveAsync(IReadOnlyList<ChainEntry> entries, CancellationToken cancellationToken)
    {
        var segments = entries.Where(e => e.Kind == ChainEntryKind.Segment).ToList();
        var known = (await catalog.GetManyAsync([.. segments.Select(e => e.RecordingId!)], cancellationToken)).ToDictionary(r => r.Id);
        var breaks = new List<ChainBreak>();
        foreach (ChainEntry e in segments)
        {
            if (known.TryGetValue(e.RecordingId!, out Recording? r)
                && (r.Announcement.FileSize != e.Size || !string.Equals(r.Announcement.Sha256, e.Sha256, StringComparison.OrdinalIgnoreCase)))
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"entry {e.Index} ({ChainVerifier.Describe(e)})",
                    $"the recording {r.Id} ({r.State.ToWire()}) has {r.Announcement.FileSize} bytes with SHA-256 {r.Announcement.Sha256}; the chain holds {e.Size} bytes with {e.Sha256}", e.Index));
            }
        }
        return breaks;
    }

    private static (DateTimeOffset? From, DateTimeOffset? To) TimesOf(ChainBreak b, Dictionary<long, ChainEntry> entries)
    {
        if (b.Entry is { } i && entries.TryGetValue(i, out ChainEntry? e))
        {
            return (e.Start, e.End);
        }
        var known = entries.Values.ToList();
        return known.Count > 0 ? (known.Min(x => x.Start), known.Max(x => x.End)) : (null, null);
    }

    private static long Index(byte[] line) => ChainEntry.TryParse(line, out _)?.Index ?? long.MaxValue;

    /// <summary>Copies the manifest to the archive bucket under its name, create-only; true when it is there (now or before).</summary>
    private async Task<bool> KeepAsync(string objectName, CancellationToken cancellationToken)
    {
        try
        {
            await store.CopyAsync(buckets.Staging, objectName, null, buckets.Archive, objectName, ifGenerationMatch: 0, cancellationToken);
            return true;
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.PreconditionFailed)
        {
            return true; // kept by an earlier delivery of this event (a different object under the name shows up as a break below)
        }
    }

    private async Task<byte[]?> ReadAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        try
        {
            await using Stream s = await store.OpenReadAsync(bucket, name, cancellationToken);
            using var buffer = new MemoryStream();
            await s.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.NotFound)
        {
            return null;
        }
    }
}
