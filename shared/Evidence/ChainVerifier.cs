using System.Globalization;

namespace Cctv.Shared.Evidence;

/// <summary>
/// Checks one camera's chain offline, from nothing but its manifests, entries and the recorder's public keys (and
/// optionally its segments' digests): docs/evidence-format.md, "Verifying". Pure: no clock, no I/O. It reports every
/// break it finds, never repairs one, and trusts nothing it has not checked: a manifest counts only once its key is
/// known and its signature verifies, an entry only through the links and heads that lead to a verified manifest.
/// </summary>
public static class ChainVerifier
{
    public static ChainReport Verify(ChainEvidence evidence)
    {
        var breaks = new List<ChainBreak>();
        SortedDictionary<long, ChainEntry> entries = ReadEntries(evidence, breaks);
        List<ChainManifest> manifests = ReadManifests(evidence, breaks, out HashSet<long> rejected);

        long? from = manifests.Count > 0 ? manifests.Min(m => m.First) : entries.Count > 0 ? entries.Keys.First() : null;
        long? to = Max(manifests.Count > 0 ? manifests.Max(m => m.Last) : null, entries.Count > 0 ? entries.Keys.Last() : null);
        if (from is { } first && to is { } last)
        {
            CheckPresence(entries, first, last, breaks);
        }
        CheckLinks(entries, breaks);
        CheckManifests(manifests, rejected, entries, breaks);
        if (evidence.Segments is { } segments)
        {
            CheckSegments(entries.Values, segments, breaks);
        }
        long signedUpTo = manifests.Count > 0 ? manifests.Max(m => m.Last) : -1;
        return new ChainReport(evidence.Camera, breaks, entries.Values.ToList(), manifests, entries.Keys.Count(i => i > signedUpTo));
    }

    private static SortedDictionary<long, ChainEntry> ReadEntries(ChainEvidence evidence, List<ChainBreak> breaks)
    {
        var byIndex = new SortedDictionary<long, ChainEntry>();
        long highest = -1;
        for (int position = 0; position < evidence.Entries.Count; position++)
        {
            string where = $"entry line {position + 1}";
            if (ChainEntry.TryParse(evidence.Entries[position], out string? error) is not { } entry)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, where, $"not an entry of this format: {error}"));
                continue;
            }
            if (entry.Camera != evidence.Camera)
            {
                breaks.Add(new ChainBreak(BreakKind.Foreign, $"{where} ({Describe(entry)})", $"an entry of camera {entry.Camera}'s chain, not {evidence.Camera}'s", entry.Index));
                continue;
            }
            if (byIndex.TryGetValue(entry.Index, out ChainEntry? earlier))
            {
                if (earlier.Hash != entry.Hash)
                {
                    breaks.Add(new ChainBreak(BreakKind.Altered, $"entry {entry.Index}", $"two different entries claim index {entry.Index} ({Describe(earlier)} and {Describe(entry)})", entry.Index));
                }
                continue;
            }
            if (entry.Index < highest)
            {
                breaks.Add(new ChainBreak(BreakKind.Reordered, $"entry {entry.Index} ({Describe(entry)})",
                    $"given at {where}, after entry {highest}", entry.Index));
            }
            highest = Math.Max(highest, entry.Index);
            byIndex[entry.Index] = entry;
        }
        return byIndex;
    }

    /// <summary>The manifests whose key is known and whose signature verifies; <paramref name="rejected"/>: the sequences of those that are there but do not (their break is reported once).</summary>
    private static List<ChainManifest> ReadManifests(ChainEvidence evidence, List<ChainBreak> breaks, out HashSet<long> rejected)
    {
        var verified = new List<ChainManifest>();
        rejected = [];
        for (int position = 0; position < evidence.Manifests.Count; position++)
        {
            SignedManifest signed = evidence.Manifests[position];
            if (ChainManifest.TryParse(signed.Bytes, out string? error) is not { } manifest)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"manifest given at position {position + 1}", $"not a manifest of this format: {error}"));
                continue;
            }
            string where = $"manifest {manifest.Sequence} (entries {manifest.First}-{manifest.Last})";
            if (manifest.Camera != evidence.Camera)
            {
                breaks.Add(new ChainBreak(BreakKind.Foreign, where, $"a manifest of camera {manifest.Camera}'s chain, not {evidence.Camera}'s", Manifest: manifest.Sequence));
                continue;
            }
            if (evidence.Keys.FirstOrDefault(k => k.Fingerprint == manifest.KeyFingerprint) is not { } key)
            {
                breaks.Add(new ChainBreak(BreakKind.UnknownKey, where,
                    $"signed with key {manifest.KeyFingerprint}, which is not a registered key of recorder {manifest.Camera.RecorderId}", Manifest: manifest.Sequence));
                rejected.Add(manifest.Sequence);
                continue;
            }
            if (!key.Verifies(signed.Bytes, signed.Signature))
            {
                breaks.Add(new ChainBreak(BreakKind.BadSignature, where, $"the signature does not verify with key {key.Fingerprint}", Manifest: manifest.Sequence));
                rejected.Add(manifest.Sequence);
                continue;
            }
            verified.Add(manifest);
        }
        return verified;
    }

    /// <summary>
    /// Reports every stretch of [first, last] the evidence lacks. Walks the indices it holds, not the span: an entry or a
    /// manifest that claims index 2^53-1 costs one step, not years.
    /// </summary>
    private static void CheckPresence(SortedDictionary<long, ChainEntry> entries, long first, long last, List<ChainBreak> breaks)
    {
        long expected = first;
        foreach (long index in entries.Keys.Where(i => i >= first && i <= last).Append(last + 1))
        {
            if (index > expected)
            {
                long end = index - 1;
                string range = expected == end ? $"entry {expected}" : $"entries {expected}-{end}";
                breaks.Add(new ChainBreak(BreakKind.Missing, range, "the chain has it, the evidence does not", expected));
            }
            expected = index + 1;
        }
    }

    private static void CheckLinks(SortedDictionary<long, ChainEntry> entries, List<ChainBreak> breaks)
    {
        foreach (ChainEntry entry in entries.Values)
        {
            if (entry.Index == 0 && entry.Previous != ChainEntry.NoPrevious)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"entry 0 ({Describe(entry)})", "the first entry links to a predecessor", 0));
            }
            if (entries.TryGetValue(entry.Index - 1, out ChainEntry? before) && entry.Previous != before.Hash)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"entry {before.Index} ({Describe(before)})",
                    $"its hash is {before.Hash}, but entry {entry.Index} was chained to {entry.Previous}", before.Index));
            }
        }
    }

    private static void CheckManifests(List<ChainManifest> manifests, HashSet<long> rejected, SortedDictionary<long, ChainEntry> entries, List<ChainBreak> breaks)
    {
        var bySequence = new SortedDictionary<long, ChainManifest>();
        foreach (ChainManifest manifest in manifests)
        {
            if (bySequence.TryGetValue(manifest.Sequence, out ChainManifest? other))
            {
                if (other.Hash != manifest.Hash)
                {
                    breaks.Add(new ChainBreak(BreakKind.ReSigned, $"manifest {manifest.Sequence}",
                        $"two different signed manifests hold this place (entries {other.First}-{other.Last}, head {other.Head}; entries {manifest.First}-{manifest.Last}, head {manifest.Head})",
                        Manifest: manifest.Sequence));
                }
                continue;
            }
            bySequence[manifest.Sequence] = manifest;
        }

        long? lowest = bySequence.Count > 0 ? bySequence.Keys.First() : null;
        foreach (ChainManifest manifest in bySequence.Values)
        {
            string where = $"manifest {manifest.Sequence} (entries {manifest.First}-{manifest.Last})";
            if (bySequence.TryGetValue(manifest.Sequence - 1, out ChainManifest? previous))
            {
                if (manifest.PreviousManifest != previous.Hash)
                {
                    breaks.Add(new ChainBreak(BreakKind.ReSigned, where,
                        $"it follows a manifest with hash {manifest.PreviousManifest}, but manifest {previous.Sequence}'s hash is {previous.Hash}", Manifest: manifest.Sequence));
                }
                if (manifest.First <= previous.Last)
                {
                    breaks.Add(new ChainBreak(BreakKind.ReSigned, where, $"it signs entries from {manifest.First} again, which manifest {previous.Sequence} signed up to {previous.Last}", Manifest: manifest.Sequence));
                }
                else if (manifest.First > previous.Last + 1)
                {
                    breaks.Add(new ChainBreak(BreakKind.Missing, where, $"no manifest signs entries {previous.Last + 1}-{manifest.First - 1}", previous.Last + 1, manifest.Sequence));
                }
            }
            else if (manifest.Sequence == 0 && (manifest.First != 0 || manifest.PreviousManifest != ChainManifest.NoPrevious))
            {
                breaks.Add(new ChainBreak(BreakKind.ReSigned, where, "the first manifest does not start the chain at entry 0", Manifest: 0));
            }
            else if (manifest.Sequence != lowest && !rejected.Contains(manifest.Sequence - 1))
            {
                long gapFrom = bySequence.Keys.Where(s => s < manifest.Sequence).Max() + 1;
                string range = gapFrom == manifest.Sequence - 1 ? $"manifest {gapFrom}" : $"manifests {gapFrom}-{manifest.Sequence - 1}";
                breaks.Add(new ChainBreak(BreakKind.Missing, range, $"manifest {manifest.Sequence} follows it, the evidence does not have it", Manifest: gapFrom));
            }
            if (entries.TryGetValue(manifest.Last, out ChainEntry? head) && head.Hash != manifest.Head)
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, $"entry {head.Index} ({Describe(head)})",
                    $"its hash is {head.Hash}, but {where} signed {manifest.Head} as the head", head.Index, manifest.Sequence));
            }
        }
    }

    private static void CheckSegments(IEnumerable<ChainEntry> entries, Func<ChainEntry, SegmentFacts?> segments, List<ChainBreak> breaks)
    {
        foreach (ChainEntry entry in entries.Where(e => e.Kind == ChainEntryKind.Segment))
        {
            string where = $"entry {entry.Index} ({Describe(entry)})";
            if (segments(entry) is not { } facts)
            {
                breaks.Add(new ChainBreak(BreakKind.Missing, where, $"the segment (recording {entry.RecordingId}) is not there", entry.Index));
            }
            else if (facts.Size != entry.Size || !string.Equals(facts.Sha256, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                breaks.Add(new ChainBreak(BreakKind.Altered, where,
                    $"the segment (recording {entry.RecordingId}) has {facts.Size} bytes with SHA-256 {facts.Sha256}; the chain holds {entry.Size} bytes with {entry.Sha256}", entry.Index));
            }
        }
    }

    /// <summary>An entry in words, for a break's location.</summary>
    public static string Describe(ChainEntry entry) => entry.Kind == ChainEntryKind.Segment
        ? string.Create(CultureInfo.InvariantCulture, $"segment run {entry.Run} seq {entry.Sequence}, {CanonicalJson.FormatTime(entry.Start, "start")}")
        : $"gap {CanonicalJson.FormatTime(entry.Start, "start")} to {CanonicalJson.FormatTime(entry.End, "end")}, {entry.Reason}";

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
