using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>What is wrong with a chain, in the terms of docs/evidence-format.md ("What a verifier reports").</summary>
public enum BreakKind
{
    /// <summary>An entry, a manifest or a segment's bytes that the rest of the evidence says exists is not there.</summary>
    Missing,
    /// <summary>Entries are given in another order than their indices.</summary>
    Reordered,
    /// <summary>Bytes differ from what was hashed or signed: an entry, a link, a head, a segment file, or a record that is not canonical.</summary>
    Altered,
    /// <summary>Validly signed manifests that contradict each other: two for one place, or one that does not follow its predecessor.</summary>
    ReSigned,
    /// <summary>A manifest signed with a key that is not among the recorder's registered keys.</summary>
    UnknownKey,
    /// <summary>A manifest whose signature does not verify with the key it names.</summary>
    BadSignature,
    /// <summary>An entry or manifest of another camera's chain (another recorder, or another camera of this one).</summary>
    Foreign,
}

/// <summary>One break: its kind, where (<see cref="Where"/> in words; <see cref="Entry"/> or <see cref="Manifest"/> as numbers), and why.</summary>
public sealed record ChainBreak(BreakKind Kind, string Where, string Detail, long? Entry = null, long? Manifest = null)
{
    public override string ToString() => $"{Kind} at {Where}: {Detail}";
}

/// <summary>The digest of a segment's bytes as the verifier's caller holds them (hashed from a file, or the archive's record).</summary>
public sealed record SegmentFacts(long Size, string Sha256);

/// <summary>What the verifier is given: one camera's manifests and entries, the keys it trusts, and optionally the segments' digests.</summary>
/// <param name="Camera">The chain to verify; anything of another camera is <see cref="BreakKind.Foreign"/>.</param>
/// <param name="Manifests">Signed manifests, in any order.</param>
/// <param name="Entries">Entries' bytes in the order given (a manifest file's lines, a bundle's chain file).</param>
/// <param name="Keys">The recorder's registered public keys (every key its catalog record lists, old ones after a rotation too).</param>
/// <param name="Segments">For a segment entry, the digest of its bytes, or null when the caller has no such segment; omit to check the chain alone.</param>
public sealed record ChainEvidence(
    CameraKey Camera,
    IReadOnlyList<SignedManifest> Manifests,
    IReadOnlyList<byte[]> Entries,
    IReadOnlyCollection<EvidencePublicKey> Keys,
    Func<ChainEntry, SegmentFacts?>? Segments = null);

/// <summary>The verdict: every break found, the entries read (in index order) and the manifests whose signatures verified.</summary>
public sealed record ChainReport(
    CameraKey Camera,
    IReadOnlyList<ChainBreak> Breaks,
    IReadOnlyList<ChainEntry> Entries,
    IReadOnlyList<ChainManifest> Manifests,
    long UnsignedEntries)
{
    /// <summary>No break: every entry present, in order, linked, covered by a verified signature, and every segment checked matched.</summary>
    public bool IsIntact => Breaks.Count == 0;

    public IEnumerable<ChainBreak> Of(BreakKind kind) => Breaks.Where(b => b.Kind == kind);
}
