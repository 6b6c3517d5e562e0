using System.Security.Cryptography;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>A gap in a bundle's range: from the signed chain (<see cref="Entry"/> is its index), or only in the catalog (unsigned).</summary>
public sealed record BundleGap(DateTimeOffset Start, DateTimeOffset? End, string Reason, long? Entry)
{
    public bool InSignedChain => Entry is not null;
}

/// <summary>What <c>verify</c> found in a bundle: the breaks (the bundle's own and the chain's), and what the evidence shows.</summary>
/// <param name="Keys">The keys manifests were checked against: the pinned ones, or else the bundle's.</param>
/// <param name="Exported">The segment entries whose files the bundle holds, in chain order.</param>
public sealed record BundleReport(
    BundleIndex Index,
    ChainReport Chain,
    IReadOnlyList<ChainBreak> Breaks,
    IReadOnlyList<EvidencePublicKey> Keys,
    bool Pinned,
    IReadOnlyList<ChainEntry> Exported,
    IReadOnlyList<BundleGap> Gaps,
    IReadOnlyList<SalvagedSegment>? Salvaged = null)
{
    public bool IsIntact => Breaks.Count == 0;

    /// <summary>
    /// The salvaged segments whose files hold exactly the bytes the cloud archived (the index's SHA-256 and size): unsigned
    /// footage, never part of <see cref="Exported"/> or the covered time. A salvaged segment that fails a check is a break instead.
    /// </summary>
    public IReadOnlyList<SalvagedSegment> SalvagedSegments => Salvaged ?? [];

    /// <summary>The first exported frame (the earliest exported segment's start); null when no segment is.</summary>
    public DateTimeOffset? CoveredFrom => Exported.Count > 0 ? Exported.Min(e => e.Start) : null;

    /// <summary>The last exported frame (the latest exported segment's end).</summary>
    public DateTimeOffset? CoveredTo => Exported.Count > 0 ? Exported.Max(e => e.End) : null;
}

/// <summary>
/// Verifies an evidence bundle offline (docs/evidence-bundle.md, "What verify checks"): the chain of the index's
/// camera through <see cref="ChainVerifier"/> with every segment file's size and SHA-256; that each manifest file holds
/// exactly the entries its manifest signs; that every segment entry in the bundle's range has its file and every
/// segment file has its entry; and that the signed entries span the range. The index is believed for nothing but which
/// chain to check and which range must be complete; everything it alone says is reported as unsigned.
/// </summary>
public static class BundleVerifier
{
    /// <exception cref="BundleFormatException">The bundle claims chain indices so far apart that checking them would not end.</exception>
    /// <param name="pinned">Keys given separately: the only ones trusted; a key in the bundle that is not among them is a break. None: the bundle's keys.</param>
    public static BundleReport Verify(EvidenceBundle bundle, IReadOnlyCollection<EvidencePublicKey>? pinned = null)
    {
        BundleIndex index = bundle.Index;
        var breaks = new List<ChainBreak>();
        List<EvidencePublicKey> keys = Keys(bundle, pinned, breaks);

        var manifests = new List<SignedManifest>();
        var entries = new List<byte[]>();
        foreach (BundleFile file in bundle.Manifests)
        {
            ManifestFile manifest;
            try
            {
                manifest = ManifestFile.Parse(file.Bytes);
            }
            catch (FormatException e)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, file.Name, $"not a manifest file: {e.Message}"));
                continue;
            }
            CheckEntriesAreSigned(file.Name, manifest, breaks);
            manifests.Add(manifest.Manifest);
            entries.AddRange(manifest.Entries);
        }
        if (manifests.Count == 0)
        {
            breaks.Add(new ChainBreak(BreakKind.Missing, BundleLayout.ManifestsFolder, "the bundle holds no manifest: nothing in it is signed"));
        }

        CheckIndexSpan(manifests, entries);

        var files = new Dictionary<string, SegmentFacts?>(StringComparer.Ordinal);
        ChainReport chain = ChainVerifier.Verify(new ChainEvidence(index.Camera, manifests, entries, keys, entry =>
        {
            string name = BundleLayout.SegmentFile(entry.Run!.Value, entry.Sequence!.Value);
            if (!files.TryGetValue(name, out SegmentFacts? facts))
            {
                facts = Hash(bundle, name, entry, breaks);
                files[name] = facts;
            }
            // A segment of a covering manifest outside the range is not exported: nothing to check it against, and
            // its entry still counts in the chain. A segment inside the range must be here.
            return facts ?? (Overlaps(entry, index) ? null : new SegmentFacts(entry.Size!.Value, entry.Sha256!));
        }));
        breaks.AddRange(chain.Breaks);

        var named = chain.Entries.Where(e => e.Kind == ChainEntryKind.Segment).Select(e => BundleLayout.SegmentFile(e.Run!.Value, e.Sequence!.Value)).ToHashSet(StringComparer.Ordinal);
        foreach (string file in bundle.SegmentFiles.Where(f => !named.Contains(f)))
        {
            breaks.Add(new ChainBreak(BreakKind.Foreign, file, $"no entry of camera {index.Camera}'s chain in the bundle names this file: it is not signed footage of this camera"));
        }
        CheckSpan(chain, index, breaks);
        List<SalvagedSegment> salvaged = CheckSalvaged(bundle, entries, breaks);

        var exported = chain.Entries.Where(e => e.Kind == ChainEntryKind.Segment && bundle.HasSegment(BundleLayout.SegmentFile(e.Run!.Value, e.Sequence!.Value))).ToList();
        return new BundleReport(index, chain, breaks, keys, pinned is not null, exported, Gaps(chain, index), salvaged);
    }

    private static List<EvidencePublicKey> Keys(EvidenceBundle bundle, IReadOnlyCollection<EvidencePublicKey>? pinned, List<ChainBreak> breaks)
    {
        var inBundle = new List<EvidencePublicKey>();
        foreach (BundleFile file in bundle.Keys)
        {
            try
            {
                EvidencePublicKey key = EvidencePublicKey.FromPem(System.Text.Encoding.ASCII.GetString(file.Bytes));
                inBundle.Add(key);
                if (pinned is not null && pinned.All(p => p.Fingerprint != key.Fingerprint))
                {
                    breaks.Add(new ChainBreak(BreakKind.UnknownKey, file.Name,
                        $"the bundle's key {key.Fingerprint} is not the pinned key {string.Join(" or ", pinned.Select(p => p.Fingerprint))}"));
                }
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, file.Name, $"not a P-256 public key in PEM: {e.Message}"));
            }
        }
        if (pinned is null && inBundle.Count == 0)
        {
            breaks.Add(new ChainBreak(BreakKind.Missing, BundleLayout.KeysFolder, "the bundle holds no public key to check the signatures with"));
        }
        return pinned?.ToList() ?? inBundle;
    }

    /// <summary>How far past the entries it holds a bundle may claim indices (a hole <see cref="ChainVerifier"/> walks entry by entry).</summary>
    public const long MaxIndexSpan = 10_000_000;

    /// <summary>
    /// The chain verifier walks every index from the lowest to the highest that entries and manifests claim, to name
    /// each missing one: an entry or manifest claiming index 2^53-1 in a bundle of ten entries would have it walk for
    /// years. Such a bundle is refused as unreadable before that.
    /// </summary>
    private static void CheckIndexSpan(List<SignedManifest> manifests, List<byte[]> entries)
    {
        var claimed = entries.Select(e => ChainEntry.TryParse(e, out _)?.Index)
            .Concat(manifests.SelectMany(m => ChainManifest.TryParse(m.Bytes, out _) is { } p ? new long?[] { p.First, p.Last } : []))
            .OfType<long>().ToList();
        if (claimed.Count > 0 && claimed.Max() - claimed.Min() > entries.Count + MaxIndexSpan)
        {
            throw new BundleFormatException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Not a bundle this verifier reads: its entries and manifests claim chain indices {claimed.Min()} to {claimed.Max()}, but it holds {entries.Count} entries."));
        }
    }

    /// <summary>A manifest file holds exactly the entries its manifest signs: a line beyond them would ride along unsigned.</summary>
    private static void CheckEntriesAreSigned(string name, ManifestFile file, List<ChainBreak> breaks)
    {
        if (ChainManifest.TryParse(file.Manifest.Bytes, out _) is not { } manifest)
        {
            return; // the chain verifier names it
        }
        foreach (byte[] line in file.Entries)
        {
            if (ChainEntry.TryParse(line, out _) is { } entry && entry.Camera == manifest.Camera && (entry.Index < manifest.First || entry.Index > manifest.Last))
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"{name}, entry {entry.Index} ({ChainVerifier.Describe(entry)})",
                    $"the file holds it, but its manifest {manifest.Sequence} signs entries {manifest.First}-{manifest.Last} only", entry.Index, manifest.Sequence));
            }
        }
    }

    private static SegmentFacts? Hash(EvidenceBundle bundle, string name, ChainEntry entry, List<ChainBreak> breaks)
    {
        try
        {
            return bundle.HashSegment(name, entry.Size!.Value + 1);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            breaks.Add(new ChainBreak(BreakKind.Altered, name, $"the file cannot be read from the zip ({e.Message})", entry.Index));
            return null;
        }
    }

    /// <summary>
    /// The salvaged segments (docs/evidence-bundle.md, "Salvaged segments"): unsigned, so the chain has no entry for them
    /// and its checks do not see them. Each must be a segment the recorder never sealed, as far as the bundle can tell:
    /// its recording ID is the one its run and sequence give for this camera (else <see cref="BreakKind.Foreign"/>); no
    /// entry in the bundle's manifest files names that run and sequence, and none names a later sequence of the same run
    /// (a recorder seals a run's segments in order and signs each when sealed; a salvaged claim for one it signed would
    /// take a segment out of the chain's checks: <see cref="BreakKind.Altered"/>). Its file must be there
    /// (<see cref="BreakKind.Missing"/>) with the size and SHA-256 the cloud computed (<see cref="BreakKind.Altered"/>),
    /// and a file in the salvaged folder the index does not list is <see cref="BreakKind.Foreign"/>.
    /// Returns the salvaged segments that passed.
    /// </summary>
    private static List<SalvagedSegment> CheckSalvaged(EvidenceBundle bundle, List<byte[]> entryLines, List<ChainBreak> breaks)
    {
        BundleIndex index = bundle.Index;
        var signed = entryLines.Select(line => ChainEntry.TryParse(line, out _))
            .Where(e => e is { Kind: ChainEntryKind.Segment } && e.Camera == index.Camera).Select(e => e!).ToList();
        var passed = new List<SalvagedSegment>();
        foreach (SalvagedSegment s in index.SalvagedSegments)
        {
            string where = $"{s.File} (salvaged recording {s.RecordingId})";
            if (s.RecordingId != RecordingId.For(index.Camera.RecorderId, index.Camera.CameraId, s.Run, s.Sequence))
            {
                breaks.Add(new ChainBreak(BreakKind.Foreign, where,
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"its recording ID is not camera {index.Camera}'s for run {s.Run} seq {s.Sequence}: it is not salvaged footage of this camera")));
                continue;
            }
            if (signed.FirstOrDefault(e => e.Run == s.Run && e.Sequence >= s.Sequence) is { } later)
            {
                string detail = later.Sequence == s.Sequence
                    ? $"the index calls it salvaged, but entry {later.Index} of the recorder's signed chain is this segment: signed footage is checked by the chain, never as salvaged"
                    : $"the index calls it salvaged, but the recorder signed a later segment of run {s.Run} (entry {later.Index}, seq {later.Sequence}), so it sealed and signed this one: it belongs to the chain, not to the salvaged footage";
                breaks.Add(new ChainBreak(BreakKind.Altered, where, detail, later.Index));
                continue;
            }
            SegmentFacts? facts;
            try
            {
                facts = bundle.HashSegment(s.File, s.Size + 1);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, where, $"the file cannot be read from the zip ({e.Message})"));
                continue;
            }
            if (facts is null)
            {
                breaks.Add(new ChainBreak(BreakKind.Missing, where, "the index lists this salvaged segment, but the bundle does not hold its file"));
                continue;
            }
            if (facts.Size != s.Size || facts.Sha256 != s.Sha256)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, where, facts.Size > s.Size
                    ? $"SALVAGED segment changed: the file holds more than the {s.Size} bytes the cloud archived"
                    : $"SALVAGED segment changed: the file holds {facts.Size} bytes with SHA-256 {facts.Sha256}, the cloud archived {s.Size} bytes with SHA-256 {s.Sha256}"));
                continue;
            }
            passed.Add(s);
        }
        var listed = index.SalvagedSegments.Select(s => s.File).ToHashSet(StringComparer.Ordinal);
        foreach (string file in bundle.SalvagedFiles.Where(f => !listed.Contains(f)))
        {
            breaks.Add(new ChainBreak(BreakKind.Foreign, file, "a salvaged file the index does not list: nothing says what it is"));
        }
        return passed;
    }

    /// <summary>The signed entries reach from the range's start to its end: no manifest was left out before or after the rest.</summary>
    private static void CheckSpan(ChainReport chain, BundleIndex index, List<ChainBreak> breaks)
    {
        if (chain.Entries.Count == 0)
        {
            return;
        }
        ChainEntry first = chain.Entries[0], last = chain.Entries[^1];
        if (first.Start > index.From)
        {
            breaks.Add(new ChainBreak(BreakKind.Missing, $"before entry {first.Index} ({ChainVerifier.Describe(first)})",
                $"the bundle's range starts at {Time(index.From)}, but its chain starts later, at {Time(first.Start)}: the entries before it are not in the bundle", first.Index));
        }
        if (last.End < index.To)
        {
            breaks.Add(new ChainBreak(BreakKind.Missing, $"after entry {last.Index} ({ChainVerifier.Describe(last)})",
                $"the bundle's range ends at {Time(index.To)}, but its chain ends earlier, at {Time(last.End)}: the entries after it are not in the bundle", last.Index));
        }
    }

    private static List<BundleGap> Gaps(ChainReport chain, BundleIndex index)
    {
        var signed = chain.Entries.Where(e => e.Kind == ChainEntryKind.Gap && e.Start < index.To && e.End > index.From)
            .Select(e => new BundleGap(e.Start, e.End, e.Reason!, e.Index)).ToList();
        var unsigned = index.Gaps
            .Where(g => g.StartTime < index.To && (g.EndTime ?? DateTimeOffset.MaxValue) > index.From)
            .Where(g => !signed.Any(s => g.StartTime < s.End && (g.EndTime ?? DateTimeOffset.MaxValue) > s.Start))
            .Select(g => new BundleGap(g.StartTime, g.EndTime, g.Reason, null));
        return signed.Concat(unsigned).OrderBy(g => g.Start).ToList();
    }

    private static bool Overlaps(ChainEntry entry, BundleIndex index) => entry.Start < index.To && entry.End > index.From;

    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
