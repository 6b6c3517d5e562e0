using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>Every kind of break the offline verifier reports, each by the check that finds it, named with where it is.</summary>
public sealed class ChainVerifierTests : IDisposable
{
    private readonly EvidenceChain _a = new("rec-a");
    private readonly EvidenceChain _b = new("rec-b");

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public void Verify_ChainAsWritten_IsIntact()
    {
        ChainReport report = ChainVerifier.Verify(_a.Evidence(withSegments: true));

        Assert.True(report.IsIntact, string.Join("\n", report.Breaks));
        Assert.Equal(_a.Entries.Count, report.Entries.Count);
        Assert.Equal(_a.Manifests.Count, report.Manifests.Count);
        Assert.Equal(0, report.UnsignedEntries);
        Assert.Contains(report.Entries, e => e.Kind == ChainEntryKind.Gap && e.Reason == "camera offline");
    }

    [Fact]
    public void Verify_EntryDropped_ReportsItMissingByIndex()
    {
        List<byte[]> entries = _a.EntryBytes;
        entries.RemoveAt(4); // not a manifest's head: only the chain's continuity says it was there

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(entries: entries)).Breaks);

        Assert.Equal(BreakKind.Missing, only.Kind);
        Assert.Equal(4, only.Entry);
        Assert.Equal("entry 4", only.Where);
    }

    [Fact(Timeout = 10_000)]
    public async Task Verify_AnEntryClaimingTheLastPossibleIndex_ReportsTheSpanMissing_InStepsOfTheEntriesHeld()
    {
        List<byte[]> entries = _a.EntryBytes;
        ChainEntry last = _a.Entries[^1];
        ChainEntry forged = ChainEntry.Segment(_a.Camera, CanonicalJson.MaxInteger, 1, 999, last.End, last.End.AddSeconds(4), 10, new string('a', 64), last.Hash);
        entries.Add(forged.Bytes);

        // Before: one step per index of the span, 2^53 of them. The test's timeout is the guard.
        ChainReport report = await Task.Run(() => ChainVerifier.Verify(_a.Evidence(entries: entries)));

        ChainBreak missing = Assert.Single(report.Of(BreakKind.Missing));
        Assert.Equal($"entries {last.Index + 1}-{CanonicalJson.MaxInteger - 1}", missing.Where);
    }

    [Fact]
    public void Verify_TwoEntriesSwapped_ReportsReordered()
    {
        List<byte[]> entries = _a.EntryBytes;
        (entries[3], entries[4]) = (entries[4], entries[3]);

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(entries: entries)).Breaks);

        Assert.Equal(BreakKind.Reordered, only.Kind);
        Assert.Equal(3, only.Entry);
        Assert.Contains("entry line 5", only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EntryRewrittenInCanonicalForm_ReportsAlteredAtThatEntry()
    {
        ChainEntry original = _a.Entries[1]; // inside the first manifest's range, not its head
        ChainEntry forged = ChainEntry.Segment(_a.Camera, original.Index, original.Run!.Value, original.Sequence!.Value, original.Start, original.End,
            original.Size!.Value, new string('a', 64), original.Previous);
        List<byte[]> entries = _a.EntryBytes;
        entries[1] = forged.Bytes;

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(entries: entries)).Breaks);

        Assert.Equal(BreakKind.Altered, only.Kind);
        Assert.Equal(1, only.Entry);
    }

    [Fact]
    public void Verify_LastEntryRewritten_ReportsAlteredAgainstTheSignedHead()
    {
        ChainEntry original = _a.Entries[^1]; // nothing links to it: only the last manifest's head covers it
        ChainEntry forged = ChainEntry.Segment(_a.Camera, original.Index, original.Run!.Value, original.Sequence!.Value, original.Start, original.End.AddSeconds(1),
            original.Size!.Value, original.Sha256!, original.Previous);
        List<byte[]> entries = _a.EntryBytes;
        entries[^1] = forged.Bytes;

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(entries: entries)).Breaks);

        Assert.Equal(BreakKind.Altered, only.Kind);
        Assert.Equal(original.Index, only.Entry);
        Assert.Equal(_a.Manifests[^1].Sequence, only.Manifest);
    }

    [Fact]
    public void Verify_EntryNotInCanonicalForm_ReportsAltered()
    {
        List<byte[]> entries = _a.EntryBytes;
        entries[2] = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(entries[2]).Replace(",", ", ", StringComparison.Ordinal));

        ChainReport report = ChainVerifier.Verify(_a.Evidence(entries: entries));

        ChainBreak altered = Assert.Single(report.Of(BreakKind.Altered));
        Assert.Equal("entry line 3", altered.Where);
        Assert.Contains("canonical", altered.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SegmentByteChanged_ReportsAlteredSegment()
    {
        ChainEntry target = _a.Entries.First(e => e.Kind == ChainEntryKind.Segment && e.Index == 2);
        _a.Files[target.RecordingId!][7] ^= 1;

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(withSegments: true)).Breaks);

        Assert.Equal(BreakKind.Altered, only.Kind);
        Assert.Equal(2, only.Entry);
        Assert.Contains(target.RecordingId!, only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SegmentFileAbsent_ReportsMissingSegment()
    {
        ChainEntry target = _a.Entries.Last(e => e.Kind == ChainEntryKind.Segment);
        _a.Files.Remove(target.RecordingId!);

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(withSegments: true)).Breaks);

        Assert.Equal(BreakKind.Missing, only.Kind);
        Assert.Equal(target.Index, only.Entry);
    }

    [Fact]
    public void Verify_ChainRebuiltAndSignedWithAnotherKey_ReportsUnknownKeyAndTrustsNothing()
    {
        using var forger = new EvidenceChain("rec-a", segments: 9); // same camera, same shape, the forger's own key

        ChainReport report = ChainVerifier.Verify(new ChainEvidence(_a.Camera, forger.Signed, forger.EntryBytes, [_a.PublicKey]));

        Assert.Equal(forger.Signed.Count, report.Of(BreakKind.UnknownKey).Count());
        Assert.All(report.Breaks, b => Assert.Equal(BreakKind.UnknownKey, b.Kind));
        Assert.Empty(report.Manifests);
        Assert.Equal(forger.Entries.Count, report.UnsignedEntries);
    }

    [Fact]
    public void Verify_ManifestClaimingTheRecordersKeyButSignedByAnother_ReportsBadSignature()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        List<SignedManifest> manifests = [.. _a.Signed];
        manifests[1] = SignedManifest.Sign(_a.Manifests[1], other); // names _a's fingerprint, signed with another key

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(manifests: manifests)).Breaks);

        Assert.Equal(BreakKind.BadSignature, only.Kind);
        Assert.Equal(1, only.Manifest);
    }

    [Fact]
    public void Verify_ManifestBytesChangedAfterSigning_ReportsBadSignature()
    {
        ChainManifest m = _a.Manifests[0];
        var later = new ChainManifest(m.Camera, m.KeyFingerprint, m.Sequence, m.First, m.Last, m.Head, m.PreviousManifest, m.SignedAt.AddHours(-1));
        List<SignedManifest> manifests = [.. _a.Signed];
        manifests[0] = new SignedManifest(later.Bytes, _a.Signed[0].Signature);

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(manifests: manifests)).Breaks);

        Assert.Equal(BreakKind.BadSignature, only.Kind);
        Assert.Equal(0, only.Manifest);
    }

    [Fact]
    public void Verify_TwoSignedManifestsForOnePlace_ReportsReSigned()
    {
        // History rewritten after the fact and signed with the genuine key: manifest 1 again, over a forged entry.
        ChainEntry original = _a.Entries[5];
        ChainEntry forged = ChainEntry.Segment(_a.Camera, original.Index, original.Run!.Value, original.Sequence!.Value, original.Start, original.End,
            original.Size!.Value, new string('b', 64), original.Previous);
        ChainManifest fork = ChainManifest.Next(_a.Manifests[0], _a.Camera, _a.PublicKey.Fingerprint, forged, _a.Manifests[1].SignedAt.AddHours(1));
        List<SignedManifest> manifests = [.. _a.Signed, SignedManifest.Sign(fork, _a.Key)];

        ChainReport report = ChainVerifier.Verify(_a.Evidence(manifests: manifests));

        ChainBreak only = Assert.Single(report.Breaks);
        Assert.Equal(BreakKind.ReSigned, only.Kind);
        Assert.Equal(1, only.Manifest);
    }

    [Fact]
    public void Verify_ManifestNotFollowingItsPredecessor_ReportsReSigned()
    {
        ChainManifest m = _a.Manifests[2];
        var detached = new ChainManifest(m.Camera, m.KeyFingerprint, m.Sequence, m.First, m.Last, m.Head, new string('c', 64), m.SignedAt);
        List<SignedManifest> manifests = [.. _a.Signed];
        manifests[2] = SignedManifest.Sign(detached, _a.Key);

        ChainReport report = ChainVerifier.Verify(_a.Evidence(manifests: manifests));

        // The replacement follows no manifest 1, and manifest 3 follows the original manifest 2, not the replacement.
        Assert.All(report.Breaks, b => Assert.Equal(BreakKind.ReSigned, b.Kind));
        Assert.Equal([2L, 3L], report.Breaks.Select(b => b.Manifest!.Value));
    }

    [Fact]
    public void Verify_ManifestDropped_ReportsMissingManifest()
    {
        List<SignedManifest> manifests = [.. _a.Signed];
        manifests.RemoveAt(1);

        ChainBreak only = Assert.Single(ChainVerifier.Verify(_a.Evidence(manifests: manifests)).Breaks);

        Assert.Equal(BreakKind.Missing, only.Kind);
        Assert.Equal(1, only.Manifest);
        Assert.Equal("manifest 1", only.Where);
    }

    [Fact]
    public void Verify_OtherRecordersCam1Mixed_ReportsForeignAndNeverCountsIt()
    {
        // Both sites have a cam1: rec-b's entries and manifest, signed by rec-b's own registered key, are not rec-a's.
        List<byte[]> entries = [.. _a.EntryBytes, _b.Entries[^1].Bytes];
        List<SignedManifest> manifests = [.. _a.Signed, _b.Signed[^1]];

        ChainReport report = ChainVerifier.Verify(_a.Evidence(manifests: manifests, entries: entries, keys: [_a.PublicKey, _b.PublicKey]));

        Assert.Equal(2, report.Of(BreakKind.Foreign).Count());
        Assert.Equal(report.Breaks.Count, report.Of(BreakKind.Foreign).Count());
        Assert.All(report.Entries, e => Assert.Equal(_a.Camera, e.Camera));
        Assert.Equal(_a.Manifests.Count, report.Manifests.Count);
    }

    [Fact]
    public void Verify_EntriesPastTheLastManifest_AreCountedUnsignedNotTrusted()
    {
        List<SignedManifest> manifests = [.. _a.Signed];
        manifests.RemoveAt(manifests.Count - 1);

        ChainReport report = ChainVerifier.Verify(_a.Evidence(manifests: manifests));

        Assert.True(report.IsIntact, string.Join("\n", report.Breaks));
        Assert.Equal(_a.Entries.Count - 1 - _a.Manifests[^2].Last, report.UnsignedEntries);
    }

    [Fact]
    public void ManifestFile_RoundTrips_AndItsLinesAreTheCanonicalBytes()
    {
        ManifestFile file = ManifestFile.Of(_a.Signed[1], _a.Entries.Skip(3).Take(3));
        byte[] bytes = file.ToBytes();

        ManifestFile read = ManifestFile.Parse(bytes);

        Assert.Equal(_a.Signed[1].Bytes, read.Manifest.Bytes);
        Assert.Equal(_a.Signed[1].Signature, read.Manifest.Signature);
        Assert.Equal(_a.Entries.Skip(3).Take(3).Select(e => e.Bytes), read.Entries);
        Assert.Equal(5, bytes.Count(b => b == (byte)'\n'));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}\n")]
    [InlineData("{}\nnot base64!\n{}\n")]
    [InlineData("{}\nAAAA\n{}")]
    public void ManifestFile_Malformed_IsAFormatError(string text) =>
        Assert.Throws<FormatException>(() => ManifestFile.Parse(Encoding.UTF8.GetBytes(text)));
}
