using System.IO.Compression;
using System.Security.Cryptography;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>What was written: the index, and each segment the archive could not give as its chain entry says (missing, or other bytes).</summary>
/// <param name="Problems">Written as found, never repaired: <c>verify</c> reports each as a break.</param>
public sealed record BundleWriteResult(BundleIndex Index, IReadOnlyList<string> Problems);

/// <summary>
/// Writes an evidence bundle (docs/evidence-bundle.md): one zip with the segments of the range byte for byte (stored,
/// not compressed), the manifest files covering them exactly as the recorder uploaded them (of those given, the ones
/// from the first that reaches into the range to the last; the range is cut to what they sign), the recorder's public
/// keys, the index (<see cref="BundleIndex"/>: the catalog's gaps, the clock states, the custody record) and a README
/// for the recipient. A segment the archive does not have, or has with other bytes, is written as found (or left
/// out) and listed in <see cref="BundleWriteResult.Problems"/>: the bundle shows the evidence as it is.
/// </summary>
public static class BundleWriter
{
    /// <param name="openSegment">Opens a segment's bytes in the archive; null when the archive does not have it.</param>
    /// <param name="openSalvaged">Opens a salvaged segment's bytes in the archive (null when it does not have them); needed when
    /// <see cref="ExportContent.Salvaged"/> holds any.</param>
    /// <exception cref="ArgumentException">The manifests are not this camera's, not manifest files, or sign nothing in the range.</exception>
    public static async Task<BundleWriteResult> WriteAsync(ExportContent content, Func<ChainEntry, CancellationToken, Task<Stream?>> openSegment,
        Stream output, CancellationToken cancellationToken, Func<SalvagedSegment, CancellationToken, Task<Stream?>>? openSalvaged = null)
    {
        if (content.To <= content.From)
        {
            throw new ArgumentException($"The range ends ({content.To:O}) at or before it starts ({content.From:O}).", nameof(content));
        }
        List<(ChainManifest Manifest, byte[] Bytes, List<ChainEntry> Entries)> manifests = ReadManifests(content);
        // The manifests covering the range: from the first whose entries reach into it to the last, and all between.
        int first = manifests.FindIndex(m => m.Entries.Any(e => e.End > content.From));
        int last = manifests.FindLastIndex(m => m.Entries.Any(e => e.Start < content.To));
        if (first < 0 || last < first)
        {
            throw new ArgumentException($"The manifests given sign nothing from {content.From:O} to {content.To:O} of camera {content.Camera}.", nameof(content));
        }
        manifests = manifests[first..(last + 1)];
        var entries = manifests.SelectMany(m => m.Entries).ToList();
        DateTimeOffset from = Max(content.From, entries.Min(e => e.Start));
        DateTimeOffset to = Min(content.To, entries.Max(e => e.End));
        if (to <= from)
        {
            throw new ArgumentException($"The manifests given sign nothing from {content.From:O} to {content.To:O} of camera {content.Camera}.", nameof(content));
        }

        DateTimeOffset stamp = content.Custody.ExportedAt;
        var problems = new List<string>();
        var segments = new List<IndexedSegment>();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            await WriteAsync(zip, BundleLayout.Readme, BundleReadme.Text(content.Camera, content.CameraName, from, to), stamp, cancellationToken);
            foreach (EvidencePublicKey key in content.Keys.DistinctBy(k => k.Fingerprint))
            {
                await WriteAsync(zip, BundleLayout.KeyFile(key), System.Text.Encoding.ASCII.GetBytes(key.ToPem() + "\n"), stamp, cancellationToken);
            }
            foreach ((ChainManifest manifest, byte[] bytes, _) in manifests)
            {
                await WriteAsync(zip, BundleLayout.ManifestFile(manifest.Sequence), bytes, stamp, cancellationToken);
            }
            foreach (ChainEntry entry in entries.Where(e => e.Kind == ChainEntryKind.Segment && e.Start < to && e.End > from))
            {
                string name = BundleLayout.SegmentFile(entry.Run!.Value, entry.Sequence!.Value);
                await using Stream? source = await openSegment(entry, cancellationToken);
                if (source is null)
                {
                    problems.Add($"{name} (recording {entry.RecordingId}): the archive does not have it; left out");
                    continue;
                }
                ZipArchiveEntry file = zip.CreateEntry(name, CompressionLevel.NoCompression);
                file.LastWriteTime = stamp;
                SegmentFacts facts;
                await using (Stream target = file.Open())
                {
                    facts = await CopyHashingAsync(source, target, cancellationToken);
                }
                if (facts.Size != entry.Size || facts.Sha256 != entry.Sha256)
                {
                    problems.Add($"{name} (recording {entry.RecordingId}): the archive holds {facts.Size} bytes with SHA-256 {facts.Sha256}, the chain {entry.Size} bytes with {entry.Sha256}; written as found");
                }
                segments.Add(new IndexedSegment(name, entry.RecordingId!, entry.Run.Value, entry.Sequence.Value, entry.Start, entry.End, facts.Size, facts.Sha256));
            }
            List<SalvagedSegment> salvaged = await WriteSalvagedAsync(zip, content, entries, openSalvaged, problems, cancellationToken);
            var index = new BundleIndex(content.Camera, content.CameraName, content.From, content.To, from, to, segments,
                manifests.Select(m => BundleLayout.ManifestFile(m.Manifest.Sequence)).ToList(),
                content.Keys.DistinctBy(k => k.Fingerprint).Select(BundleLayout.KeyFile).ToList(),
                content.Gaps.Where(g => g.Camera == content.Camera).OrderBy(g => g.StartTime).ToList(), content.Clock, content.Custody, salvaged);
            await WriteAsync(zip, BundleLayout.Index, index.ToBytes(), stamp, cancellationToken);
            return new BundleWriteResult(index, problems);
        }
    }

    /// <summary>
    /// The salvaged segments of the requested range (not the signed range: they are what lies after the last signed
    /// segment), byte for byte under <see cref="BundleLayout.SalvagedFolder"/>. The index lists each with the catalog's
    /// facts (the cloud's SHA-256 and size), so bytes other than those are a break <c>verify</c> names. A recording that a
    /// signed entry of the bundle names is not salvaged footage: it is left out and listed as a problem.
    /// </summary>
    private static async Task<List<SalvagedSegment>> WriteSalvagedAsync(ZipArchive zip, ExportContent content, List<ChainEntry> entries,
        Func<SalvagedSegment, CancellationToken, Task<Stream?>>? openSalvaged, List<string> problems, CancellationToken cancellationToken)
    {
        var written = new List<SalvagedSegment>();
        var signed = entries.Where(e => e.RecordingId is not null).Select(e => e.RecordingId!).ToHashSet(StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (SalvagedSegment s in (content.Salvaged ?? []).Where(s => s.Start < content.To && s.End > content.From).OrderBy(s => s.Start))
        {
            SalvagedSegment segment = s with { File = BundleLayout.SalvagedFile(s.Run, s.Sequence) };
            if (signed.Contains(segment.RecordingId) || !files.Add(segment.File))
            {
                problems.Add($"{segment.File} (recording {segment.RecordingId}): the catalog calls it salvaged, but a signed entry names it or another salvaged segment has its run and sequence; left out");
                continue;
            }
            await using Stream? source = openSalvaged is null ? null : await openSalvaged(segment, cancellationToken);
            if (source is null)
            {
                problems.Add($"{segment.File} (salvaged recording {segment.RecordingId}): the archive does not have it; left out");
                continue;
            }
            ZipArchiveEntry file = zip.CreateEntry(segment.File, CompressionLevel.NoCompression);
            file.LastWriteTime = content.Custody.ExportedAt;
            SegmentFacts facts;
            await using (Stream target = file.Open())
            {
                facts = await CopyHashingAsync(source, target, cancellationToken);
            }
            if (facts.Size != segment.Size || facts.Sha256 != segment.Sha256)
            {
                problems.Add($"{segment.File} (salvaged recording {segment.RecordingId}): the archive holds {facts.Size} bytes with SHA-256 {facts.Sha256}, the catalog {segment.Size} bytes with {segment.Sha256}; written as found");
            }
            written.Add(segment);
        }
        return written;
    }

    private static List<(ChainManifest, byte[], List<ChainEntry>)> ReadManifests(ExportContent content)
    {
        var read = new SortedDictionary<long, (ChainManifest, byte[], List<ChainEntry>)>();
        for (int i = 0; i < content.Manifests.Count; i++)
        {
            byte[] bytes = content.Manifests[i];
            ManifestFile file;
            try
            {
                file = ManifestFile.Parse(bytes);
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"Manifest {i + 1} given is not a manifest file: {e.Message}", nameof(content), e);
            }
            ChainManifest manifest = ChainManifest.TryParse(file.Manifest.Bytes, out string? error)
                ?? throw new ArgumentException($"Manifest {i + 1} given is not a manifest: {error}", nameof(content));
            if (manifest.Camera != content.Camera)
            {
                throw new ArgumentException($"Manifest {manifest.Sequence} given is camera {manifest.Camera}'s, not {content.Camera}'s.", nameof(content));
            }
            var entries = file.Entries.Select(line => ChainEntry.TryParse(line, out string? why)
                ?? throw new ArgumentException($"Manifest {manifest.Sequence} holds a line that is not an entry: {why}", nameof(content))).ToList();
            if (!read.TryAdd(manifest.Sequence, (manifest, bytes, entries)))
            {
                throw new ArgumentException($"Manifest {manifest.Sequence} is given twice.", nameof(content));
            }
        }
        if (read.Count == 0)
        {
            throw new ArgumentException($"No manifest of camera {content.Camera} is given: a bundle carries the signed chain of its segments.", nameof(content));
        }
        return read.Values.ToList();
    }

    private static async Task WriteAsync(ZipArchive zip, string name, byte[] bytes, DateTimeOffset stamp, CancellationToken cancellationToken)
    {
        ZipArchiveEntry entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = stamp;
        await using Stream stream = entry.Open();
        await stream.WriteAsync(bytes, cancellationToken);
    }

    private static async Task<SegmentFacts> CopyHashingAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 16];
        long size = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            size += read;
        }
        return new SegmentFacts(size, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
