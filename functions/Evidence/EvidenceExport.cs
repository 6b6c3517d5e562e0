using System.Globalization;
using System.Text.Json;
using Cctv.Functions.Finalize;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Evidence;

/// <summary>
/// What an export is asked for, and by whom: a camera, a range, the scope of the caller (what they may see), and the
/// facts of the request the custody record and the audit keep.
/// </summary>
/// <param name="Principal">Who asks, as the audit names principals (<c>user:EMAIL</c>, <c>key:NAME</c>, <c>local-token</c>, <c>operator:USER@HOST</c>).</param>
/// <param name="Credential">Which credential (never the secret); null when unknown.</param>
/// <param name="Request">Which request: its ID, route or command line.</param>
/// <param name="ClientAddress">Where from, as the server saw it; null for a command run on the operator's machine.</param>
public sealed record ExportRequest(
    CameraKey Camera,
    DateTimeOffset From,
    DateTimeOffset To,
    CatalogScope Scope,
    string Principal,
    string? Credential,
    string Request,
    string? ClientAddress = null,
    string? ForwardedFor = null);

/// <summary>An export done: what was written, which recordings it holds, and whether any is under a legal hold.</summary>
/// <param name="UnderLegalHold">A recording in the bundle is under a legal hold: the bundle is to be held too.</param>
public sealed record ExportResult(BundleWriteResult Bundle, IReadOnlyList<Recording> Recordings, bool UnderLegalHold);

/// <summary>Why an export was refused before anything was written (and before anything was recorded in the audit).</summary>
public enum ExportRefusal
{
    /// <summary>No such camera, or one the caller may not see (the same answer, so a key reveals nothing).</summary>
    UnknownCamera,
    /// <summary>A range that ends at or before it starts, or longer than <see cref="EvidenceExport.MaxRange"/>.</summary>
    BadRange,
    /// <summary>No archived footage, or no signed manifest, of the camera in the range.</summary>
    NoFootage,
}

/// <summary>An export refused, with one sentence for the caller.</summary>
public sealed class ExportRefusedException(ExportRefusal refusal, string message) : Exception(message)
{
    public ExportRefusal Refusal { get; } = refusal;
}

/// <summary>The export could not be recorded in the audit, so no bundle was made (worth retrying).</summary>
public sealed class ExportNotRecordedException(Exception inner)
    : Exception("this export could not be recorded in the audit log, and footage is never handed out unrecorded; try again shortly", inner);

/// <summary>
/// Makes an evidence bundle (docs/evidence-bundle.md) of one camera over a range: the archived recordings the caller
/// may see, the catalog's gaps, the recorder's archived manifest files that cover the range, its registered keys, the
/// clock state of each run, and a custody record with every recorded read of that footage. The export itself is
/// recorded in the audit (<see cref="AuditAction.Export"/>) before a byte of the bundle is written, so the custody
/// record lists it too and no bundle leaves unrecorded; an export the audit cannot record fails (the catalog's error).
/// </summary>
public sealed class EvidenceExport(ICatalog catalog, IObjectStore store, string archiveBucket, TimeProvider time)
{
    /// <summary>
    /// The longest range one export covers: a day, the bound of the timeline and the playlist. A day of 4-second
    /// segments is 21,600 files (several GB at camera bit rates), already more than one download should carry; an
    /// investigator asks for several days as several bundles, each verifiable alone.
    /// </summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromHours(24);

    private const int PageSize = 1000;

    /// <summary>Throws <see cref="ExportRefusedException"/> for a range no export takes.</summary>
    public static void CheckRange(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            throw new ExportRefusedException(ExportRefusal.BadRange, $"the range ends ({Iso(to)}) at or before it starts ({Iso(from)})");
        }
        if (to - from > MaxRange)
        {
            throw new ExportRefusedException(ExportRefusal.BadRange,
                $"the range is {(to - from).TotalHours:0.##} hours; an export covers at most {MaxRange.TotalHours:0} hours: export several ranges");
        }
    }

    /// <summary>Writes the bundle to <paramref name="output"/> (a zip); refusals are <see cref="ExportRefusedException"/>.</summary>
    public async Task<ExportResult> WriteAsync(ExportRequest request, Stream output, CancellationToken cancellationToken)
    {
        CheckRange(request.From, request.To);
        CameraKey camera = request.Camera;
        CameraInfo? info = (await catalog.ListCamerasAsync(request.Scope, cancellationToken)).FirstOrDefault(c => c.Key == camera);
        if (info is null)
        {
            throw new ExportRefusedException(ExportRefusal.UnknownCamera, $"camera {camera} not found");
        }
        List<Recording> recordings = await RecordingsAsync(request, cancellationToken);
        if (recordings.Count == 0)
        {
            throw new ExportRefusedException(ExportRefusal.NoFootage, $"camera {camera} has no archived footage from {Iso(request.From)} to {Iso(request.To)}");
        }
        List<byte[]> manifests = await ManifestsAsync(camera, request.From, request.To, cancellationToken);
        if (manifests.Count == 0)
        {
            throw new ExportRefusedException(ExportRefusal.NoFootage,
                $"camera {camera} has footage from {Iso(request.From)} to {Iso(request.To)}, but no signed manifest of it is archived yet (the recorder signs one at least every minute): try again shortly");
        }
        IReadOnlyList<RecordingGap> gaps = await catalog.ListGapsAsync(camera, request.From, request.To, cancellationToken);
        List<EvidencePublicKey> keys = [.. (await catalog.ListRecorderKeysAsync(camera.RecorderId, cancellationToken)).Select(k => EvidencePublicKey.FromBase64(k.PublicKey))];

        // Recorded before the bundle exists: an export the audit cannot keep is not made.
        try
        {
            await catalog.RecordReadAsync(new AuditRead(AuditAction.Export, AuditRead.Cut(request.Principal)!, AuditRead.Cut(request.Credential), camera, [],
                request.From, request.To, request.ClientAddress, AuditRead.Cut(request.ForwardedFor), AuditRead.Cut(request.Request)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ExportNotRecordedException(e);
        }
        DateTimeOffset exportedAt = time.GetUtcNow();
        IReadOnlyList<CustodyRead> reads = await ReadsAsync(request, recordings, cancellationToken);
        var content = new ExportContent(camera, info.Name, request.From, request.To, manifests, keys, gaps, Clocks(recordings),
            new CustodyRecord(request.Principal, exportedAt, request.Credential ?? "unknown", request.Request, reads), Salvaged(recordings));
        var byId = recordings.ToDictionary(r => r.Id, StringComparer.Ordinal);
        BundleWriteResult written;
        try
        {
            written = await BundleWriter.WriteAsync(content, (entry, ct) => OpenAsync(camera, entry, byId, ct), output, cancellationToken,
                (salvaged, ct) => OpenSalvagedAsync(camera, salvaged, byId, ct));
        }
        catch (ArgumentException e)
        {
            // The archived manifests sign nothing of the range (the footage is there, its chain not yet): nothing to export.
            throw new ExportRefusedException(ExportRefusal.NoFootage, e.Message);
        }
        var exported = written.Index.Segments.Select(s => s.RecordingId)
            .Concat(written.Index.SalvagedSegments.Select(s => s.RecordingId)).ToHashSet(StringComparer.Ordinal);
        return new ExportResult(written, recordings, recordings.Any(r => r.LegalHold && exported.Contains(r.Id)));
    }

    private async Task<List<Recording>> RecordingsAsync(ExportRequest request, CancellationToken cancellationToken)
    {
        var recordings = new List<Recording>();
        PageCursor? after = null;
        do
        {
            RecordingPage page = await catalog.QueryAsync(new RecordingQuery([request.Camera], request.From, request.To, PageSize, after, request.Scope), cancellationToken);
            // Archived (signed by the recorder) and salvaged (finished by the cloud, unsigned; carried apart in the bundle).
            recordings.AddRange(page.Items.Where(r => r.Camera == request.Camera && r.State.HasArchiveCopy() && r.ArchiveObject is not null));
            after = page.Next;
        }
        while (after is not null);
        return recordings;
    }

    /// <summary>
    /// The archived manifest files of the camera from the first that signs an entry ending after <paramref name="from"/>
    /// to the last that signs one starting before <paramref name="to"/> (entries are in time order, so the walk stops at
    /// the first manifest wholly after the range). A file that cannot be read is kept: the bundle shows it as it is.
    /// </summary>
    private async Task<List<byte[]>> ManifestsAsync(CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var kept = new List<byte[]>();
        string prefix = ObjectNames.ManifestPrefix + camera + "/";
        await foreach (StoredObject o in store.ListAsync(archiveBucket, prefix, cancellationToken))
        {
            if (ManifestVerifier.Parse(o.Name) is not (CameraKey named, _) || named != camera)
            {
                continue;
            }
            byte[] bytes;
            await using (Stream s = await store.OpenReadAsync(archiveBucket, o.Name, cancellationToken))
            using (var buffer = new MemoryStream())
            {
                await s.CopyToAsync(buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            List<ChainEntry>? entries = EntriesOf(bytes);
            if (entries is null)
            {
                if (kept.Count > 0)
                {
                    kept.Add(bytes);
                }
                continue;
            }
            if (kept.Count == 0 && !entries.Any(e => e.End > from))
            {
                continue;
            }
            if (entries.Count > 0 && entries.Min(e => e.Start) >= to)
            {
                break;
            }
            kept.Add(bytes);
        }
        return kept;
    }

    private static List<ChainEntry>? EntriesOf(byte[] bytes)
    {
        try
        {
            var entries = new List<ChainEntry>();
            foreach (byte[] line in ManifestFile.Parse(bytes).Entries)
            {
                if (ChainEntry.TryParse(line, out _) is not { } entry)
                {
                    return null;
                }
                entries.Add(entry);
            }
            return entries;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The archived bytes of a segment entry; null when the archive or the catalog has no such recording of this camera.</summary>
    private async Task<Stream?> OpenAsync(CameraKey camera, ChainEntry entry, Dictionary<string, Recording> byId, CancellationToken cancellationToken)
    {
        if (entry.RecordingId is not { } id)
        {
            return null;
        }
        Recording? r = byId.TryGetValue(id, out Recording? found) ? found : await catalog.GetAsync(id, cancellationToken);
        if (r is null || r.Camera != camera || r.State != CloudState.Archived || r.ArchiveObject is null)
        {
            return null;
        }
        try
        {
            return await store.OpenReadAsync(archiveBucket, r.ArchiveObject, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The salvaged recordings as the bundle lists them: the catalog's facts (the cloud's SHA-256 and size, the covered
    /// time read from the media, the reason) and who finished them (the sweep; archived when finalize copied them).
    /// </summary>
    private static List<SalvagedSegment> Salvaged(IEnumerable<Recording> recordings) =>
        [.. recordings.Where(r => r.State == CloudState.Salvaged).OrderBy(r => r.Announcement.StartTime).Select(r => new SalvagedSegment(
            BundleLayout.SalvagedFile(r.Announcement.Run, r.Announcement.Sequence), r.Id, r.Announcement.Run, r.Announcement.Sequence,
            r.Announcement.StartTime, r.Announcement.EndTime, r.Announcement.FileSize, r.Announcement.Sha256, r.Reason ?? "salvaged (no reason recorded)",
            BundleLayout.SalvageFinisher, r.ArchivedAt))];

    /// <summary>The archived bytes of a salvaged recording of this camera; null when the catalog or the archive no longer has them as salvaged.</summary>
    private async Task<Stream?> OpenSalvagedAsync(CameraKey camera, SalvagedSegment segment, Dictionary<string, Recording> byId, CancellationToken cancellationToken)
    {
        if (!byId.TryGetValue(segment.RecordingId, out Recording? r) || r.Camera != camera || r.State != CloudState.Salvaged || r.ArchiveObject is null)
        {
            return null;
        }
        try
        {
            return await store.OpenReadAsync(archiveBucket, r.ArchiveObject, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every recorded read that reached this footage (the camera over the range, or one of its recordings), oldest first.</summary>
    private async Task<IReadOnlyList<CustodyRead>> ReadsAsync(ExportRequest request, IReadOnlyList<Recording> recordings, CancellationToken cancellationToken)
    {
        var ids = recordings.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var reads = new List<CustodyRead>();
        PageCursor? after = null;
        do
        {
            AuditPage page = await catalog.QueryAuditAsync(new AuditQuery(request.Scope, request.Camera, null, null, null, null, AuditQuery.MaxPageSize, after),
                cancellationToken);
            foreach (AuditEntry e in page.Items.Where(e => e.Read.Reached(request.Camera, request.From, request.To, ids)))
            {
                AuditRead r = e.Read;
                string what = r.RecordingIds.Count > 0
                    ? $"recordings {string.Join(", ", r.RecordingIds)}"
                    : $"{r.Camera} from {Iso(r.From!.Value)} to {Iso(r.To!.Value)}";
                string who = r.Credential is { } c ? $"{r.Principal} ({c})" : r.Principal;
                string? from = r.ForwardedFor is { } fwd ? $"{r.ClientAddress ?? "?"} (X-Forwarded-For, unverified: {fwd})" : r.ClientAddress;
                reads.Add(new CustodyRead(e.At, who, r.Action.ToWire() + (r.RequestId is { } rid ? $" (request {rid})" : ""), what, from));
            }
            after = page.Next;
        }
        while (after is not null);
        reads.Reverse();
        return reads;
    }

    /// <summary>The clock state of each run, as the catalog keeps it (<see cref="ClockStateJson"/>).</summary>
    private static Dictionary<long, JsonElement> Clocks(IEnumerable<Recording> recordings)
    {
        var clocks = new Dictionary<long, JsonElement>();
        foreach (Recording r in recordings.OrderBy(r => r.Announcement.StartTime))
        {
            if (r.Announcement.Clock is { } clock && !clocks.ContainsKey(r.Announcement.Run) && ClockStateJson.Write(clock) is { } json)
            {
                using var doc = JsonDocument.Parse(json);
                clocks[r.Announcement.Run] = doc.RootElement.Clone();
            }
        }
        return clocks;
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
