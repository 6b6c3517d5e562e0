using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>
/// A bundle as written verifies INTACT; each way of tampering with it (a byte, a dropped or swapped segment, reordered
/// entries, another camera's or another key's manifest, a replaced key) is BROKEN, named with what and where.
/// </summary>
public sealed class BundleVerifierTests : IDisposable
{
    private readonly EvidenceBundles _bundles = new();

    public void Dispose() => _bundles.Dispose();

    private EvidenceChain A => _bundles.A;

    [Fact]
    public async Task Verify_BundleAsWritten_IsIntact_AndPrintsCameraCoveredTimeGapsClockAndCustody()
    {
        (string path, BundleWriteResult written) = await _bundles.WriteAsync();

        (BundleReport report, string text) = EvidenceBundles.Verify(path);

        Assert.Empty(written.Problems);
        Assert.True(report.IsIntact, text);
        Assert.Equal(9, report.Exported.Count);
        Assert.Contains("Camera:    rec-a~cam1 \"Front gate\"", text, StringComparison.Ordinal);
        Assert.Contains("Covered:   2026-12-01T08:00:00.000Z to 2026-12-01T08:01:06.000Z (first to last exported frame, signed), 9 segment file(s)", text, StringComparison.Ordinal);
        Assert.Contains("2026-12-01T08:00:16.000Z to 2026-12-01T08:00:46.000Z (30 s): camera offline [signed, chain entry 4]", text, StringComparison.Ordinal);
        Assert.Contains("run 1: {\"readAt\":\"2026-12-01T07:59:59.000Z\",\"synchronised\":true", text, StringComparison.Ordinal);
        Assert.Contains("run 2: {\"readAt\":\"2026-12-01T08:00:46.000Z\",\"synchronised\":false", text, StringComparison.Ordinal);
        Assert.Contains("exported by investigator@example.org at 2026-12-02T08:00:00.000Z with credential user token (sub 1234), request POST /api/export 7f3a", text, StringComparison.Ordinal);
        Assert.Contains("2026-12-01T11:00:00.000Z operator@example.org download rec-a~cam1 08:00-08:01 from 203.0.113.7", text, StringComparison.Ordinal);
        Assert.Contains($"Key:       {A.PublicKey.Fingerprint} (from the bundle", text, StringComparison.Ordinal);
        Assert.Contains("Manifests: 4 verified (0-3), signing entries 0-9, signed 2026-12-01T08:01:00.000Z to 2026-12-01T08:04:00.000Z", text, StringComparison.Ordinal);
        Assert.EndsWith("Verdict: INTACT" + Environment.NewLine, text, StringComparison.Ordinal);
        Assert.DoesNotContain("another site's gap", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_RangeWithAGap_PrintsTheSignedGapWithItsReason_AndTheCatalogOnlyGapAsUnsigned()
    {
        (string path, _) = await _bundles.WriteAsync(_bundles.Content(from: EvidenceBundles.T0.AddSeconds(10), to: EvidenceBundles.T0.AddSeconds(80)));

        (BundleReport report, string text) = EvidenceBundles.Verify(path);

        Assert.True(report.IsIntact, text);
        Assert.Equal(["camera offline", EvidenceBundles.CatalogOnlyReason], report.Gaps.Select(g => g.Reason));
        Assert.Equal([true, false], report.Gaps.Select(g => g.InSignedChain));
        Assert.Contains("camera offline [signed, chain entry 4]", text, StringComparison.Ordinal);
        Assert.Contains($"2026-12-01T08:01:00.000Z to 2026-12-01T08:01:01.000Z (1 s): {EvidenceBundles.CatalogOnlyReason} [UNSIGNED: in the catalog only, not in the signed chain]", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_RangeInsideTheChain_RequiresOnlyTheSegmentsInTheRange()
    {
        // 08:00:05 to 08:00:50: segments 1-3 and 4 (08:00:46-50) of manifests 0 and 1; segment 0 (08:00:00-04) is outside.
        List<byte[]> manifests = EvidenceBundles.ManifestFiles(A).Take(2).ToList();
        (string path, BundleWriteResult written) = await _bundles.WriteAsync(_bundles.Content(EvidenceBundles.T0.AddSeconds(5), EvidenceBundles.T0.AddSeconds(50), manifests));

        (BundleReport report, string text) = EvidenceBundles.Verify(path);

        Assert.True(report.IsIntact, text);
        Assert.Equal([1L, 2, 3, 4], written.Index.Segments.Select(s => s.Sequence));
        Assert.Contains("Covered:   2026-12-01T08:00:04.000Z to 2026-12-01T08:00:50.000Z", text, StringComparison.Ordinal);

        string dropped = _bundles.Tamper(path, files => files.RemoveAll(f => f.Name == EvidenceBundles.SegmentOf(A, 3)));
        ChainBreak missing = Assert.Single(EvidenceBundles.Verify(dropped).Report.Breaks);
        Assert.Equal((BreakKind.Missing, 3L), (missing.Kind, missing.Entry));
    }

    [Fact]
    public async Task Write_EveryManifestGiven_KeepsOnlyThoseCoveringTheRange()
    {
        // 08:00:50 to 08:00:55: segments 5 (08:00:50-54) and 6 (08:00:54-58), both in manifest 2 (entries 6-8).
        (string path, BundleWriteResult written) = await _bundles.WriteAsync(_bundles.Content(EvidenceBundles.T0.AddSeconds(50), EvidenceBundles.T0.AddSeconds(55)));

        Assert.Equal([BundleLayout.ManifestFile(2)], written.Index.ManifestFiles);
        Assert.Equal([5L, 6], written.Index.Segments.Select(s => s.Sequence));
        Assert.True(EvidenceBundles.Verify(path).Report.IsIntact);
    }

    [Fact]
    public async Task Verify_OneByteOfOneSegmentChanged_ReportsThatEntryAltered()
    {
        (string path, _) = await _bundles.WriteAsync();
        string file = EvidenceBundles.SegmentOf(A, 2);
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, file, b =>
        {
            b[10] ^= 1;
            return b;
        }));

        (BundleReport report, string text) = EvidenceBundles.Verify(tampered);

        ChainBreak only = Assert.Single(report.Breaks);
        Assert.Equal((BreakKind.Altered, 2L), (only.Kind, only.Entry));
        Assert.Equal("entry 2 (segment run 1 seq 2, 2026-12-01T08:00:08.000Z)", only.Where);
        Assert.Contains("Verdict: BROKEN (1 break)", text, StringComparison.Ordinal);
        Assert.Contains("Altered at entry 2 (segment run 1 seq 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OneByteFlippedInTheZipFileItself_ReportsThatSegmentAltered()
    {
        (string path, _) = await _bundles.WriteAsync();
        byte[] zip = await File.ReadAllBytesAsync(path);
        byte[] marker = Encoding.UTF8.GetBytes("rec-a~cam1 segment 2 x");
        int at = zip.AsSpan().IndexOf(marker); // stored, so the segment's bytes are in the zip as they are
        Assert.True(at > 0);
        zip[at + marker.Length] ^= 1;
        string tampered = _bundles.File("flipped.zip", zip);

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Altered, 2L), (only.Kind, only.Entry));
    }

    [Fact]
    public async Task Verify_SegmentInACompressionMethodNoOneReads_ReportsThatFileAltered()
    {
        (string path, _) = await _bundles.WriteAsync();
        byte[] zip = await File.ReadAllBytesAsync(path);
        byte[] name = Encoding.ASCII.GetBytes(EvidenceBundles.SegmentOf(A, 2));
        int patched = 0;
        for (int i = 0; i + 46 < zip.Length; i++)
        {
            // Local header (PK\x03\x04: method at 8, name at 30) and central directory header (PK\x01\x02: method at 10, name at 46).
            (int method, int nameAt) = BitConverter.ToUInt32(zip, i) switch { 0x04034b50 => (8, 30), 0x02014b50 => (10, 46), _ => (-1, -1) };
            if (method > 0 && zip.AsSpan(i + nameAt).StartsWith(name))
            {
                zip[i + method] = 14; // LZMA
                patched++;
            }
        }
        Assert.Equal(2, patched);

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(_bundles.File("lzma.zip", zip)).Report.Breaks, b => b.Kind == BreakKind.Altered);

        Assert.Equal(EvidenceBundles.SegmentOf(A, 2), only.Where);
        Assert.Contains("cannot be read from the zip", only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SegmentDropped_ReportsThatEntryMissing()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => files.RemoveAll(f => f.Name == EvidenceBundles.SegmentOf(A, 6)));

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Missing, 7L), (only.Kind, only.Entry)); // seq 6 is entry 7: the gap is entry 4
        Assert.Contains("segment run 2 seq 6", only.Where, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TwoSegmentFilesSwapped_ReportsBothEntriesAltered()
    {
        (string path, _) = await _bundles.WriteAsync();
        string first = EvidenceBundles.SegmentOf(A, 0), second = EvidenceBundles.SegmentOf(A, 1);
        string tampered = _bundles.Tamper(path, files =>
        {
            int i = files.FindIndex(f => f.Name == first), j = files.FindIndex(f => f.Name == second);
            (files[i], files[j]) = ((first, files[j].Bytes), (second, files[i].Bytes));
        });

        BundleReport report = EvidenceBundles.Verify(tampered).Report;

        Assert.Equal([(BreakKind.Altered, 0L), (BreakKind.Altered, 1L)], report.Breaks.Select(b => (b.Kind, b.Entry!.Value)));
    }

    [Fact]
    public async Task Verify_TwoEntriesReorderedInAManifestFile_ReportsReordered()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.ManifestFile(0), bytes =>
        {
            ManifestFile file = ManifestFile.Parse(bytes);
            var entries = file.Entries.ToList();
            (entries[1], entries[2]) = (entries[2], entries[1]);
            return (file with { Entries = entries }).ToBytes();
        }));

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Reordered, 1L), (only.Kind, only.Entry));
    }

    [Fact]
    public async Task Verify_ManifestSwappedForTheOtherSitesCam1_ReportsItForeign_AndTheHoleItLeaves()
    {
        (string path, _) = await _bundles.WriteAsync();
        byte[] foreign = EvidenceBundles.ManifestFiles(_bundles.B)[1];
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.ManifestFile(1), _ => foreign));

        (BundleReport report, string text) = EvidenceBundles.Verify(tampered);

        Assert.False(report.IsIntact);
        ChainBreak manifest = Assert.Single(report.Breaks, b => b.Kind == BreakKind.Foreign && b.Manifest == 1);
        Assert.Contains("camera rec-b~cam1's chain, not rec-a~cam1's", manifest.Detail, StringComparison.Ordinal);
        Assert.Contains(report.Breaks, b => b.Kind == BreakKind.Missing && b.Where == "entries 3-5");
        Assert.Contains(report.Breaks, b => b.Kind == BreakKind.Missing && b.Where == "manifest 1");
        Assert.Contains("Foreign at manifest 1 (entries 3-5)", text, StringComparison.Ordinal);
        Assert.Contains("Manifests: 3 verified (0, 2-3), signing entries 0-2, 6-9", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ManifestSignedWithAnotherKey_ReportsThatManifestsKeyUnknown()
    {
        (string path, _) = await _bundles.WriteAsync();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        List<SignedManifest> signed = [.. A.Signed];
        signed[2] = EvidenceBundles.ReSign(A.Manifests[2], other);
        byte[] replaced = EvidenceBundles.ManifestFiles(A, signed)[2];
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.ManifestFile(2), _ => replaced));

        BundleReport report = EvidenceBundles.Verify(tampered).Report;

        ChainBreak only = Assert.Single(report.Breaks);
        Assert.Equal((BreakKind.UnknownKey, 2L), (only.Kind, only.Manifest));
        Assert.Contains(EvidencePublicKey.Of(other).Fingerprint, only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_KeyReplaced_ReportsEveryManifestsKeyUnknown()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files =>
        {
            files.RemoveAll(f => f.Name == BundleLayout.KeyFile(A.PublicKey));
            files.Add((BundleLayout.KeyFile(_bundles.B.PublicKey), Encoding.ASCII.GetBytes(_bundles.B.PublicKey.ToPem())));
        });

        BundleReport report = EvidenceBundles.Verify(tampered).Report;

        Assert.Equal([0L, 1, 2, 3], report.Breaks.Select(b => b.Kind == BreakKind.UnknownKey ? b.Manifest!.Value : -1));
    }

    [Fact]
    public async Task Verify_KeyReplacedAndEveryManifestReSigned_IsCaughtByPinningTheRecordersKey()
    {
        (string path, _) = await _bundles.WriteAsync();
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forgerKey = EvidencePublicKey.Of(forger);
        List<byte[]> forged = EvidenceBundles.ManifestFiles(A, EvidenceBundles.ReSignAll(A, _ => forger));
        string tampered = _bundles.Tamper(path, files =>
        {
            files.RemoveAll(f => f.Name.StartsWith(BundleLayout.KeysFolder, StringComparison.Ordinal) || f.Name.StartsWith(BundleLayout.ManifestsFolder, StringComparison.Ordinal));
            files.Add((BundleLayout.KeyFile(forgerKey), Encoding.ASCII.GetBytes(forgerKey.ToPem())));
            files.AddRange(forged.Select((bytes, i) => (BundleLayout.ManifestFile(i), bytes)));
        });

        // Self-consistent, so without a pinned key only the printed fingerprint gives it away...
        (BundleReport unpinned, string text) = EvidenceBundles.Verify(tampered);
        Assert.True(unpinned.IsIntact, text);
        Assert.Contains($"Key:       {forgerKey.Fingerprint}", text, StringComparison.Ordinal);

        // ...and pinned to the recorder's key, the bundle's key and every manifest are refused.
        (BundleReport pinned, string pinnedText) = EvidenceBundles.Verify(tampered, [A.PublicKey]);
        Assert.False(pinned.IsIntact);
        ChainBreak key = Assert.Single(pinned.Breaks, b => b.Where == BundleLayout.KeyFile(forgerKey));
        Assert.Equal(BreakKind.UnknownKey, key.Kind);
        Assert.Contains($"is not the pinned key {A.PublicKey.Fingerprint}", key.Detail, StringComparison.Ordinal);
        Assert.Equal(4, pinned.Breaks.Count(b => b.Kind == BreakKind.UnknownKey && b.Manifest is not null));
        Assert.Contains("(pinned with --key)", pinnedText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_KeyRotatedMidRange_IsIntactWithBothKeys_AndBrokenWithOnlyTheOldOnePinned()
    {
        using var rotated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var newKey = EvidencePublicKey.Of(rotated);
        List<byte[]> manifests = EvidenceBundles.ManifestFiles(A, EvidenceBundles.ReSignAll(A, sequence => sequence < 2 ? A.Key : rotated));
        (string path, _) = await _bundles.WriteAsync(_bundles.Content(manifests: manifests) with { Keys = [A.PublicKey, newKey] });

        (BundleReport both, string text) = EvidenceBundles.Verify(path);
        BundleReport oldOnly = EvidenceBundles.Verify(path, [A.PublicKey]).Report;

        Assert.True(both.IsIntact, text);
        Assert.True(EvidenceBundles.Verify(path, [A.PublicKey, newKey]).Report.IsIntact);
        Assert.Equal([BundleLayout.KeyFile(newKey), "manifest 2 (entries 6-8)", "manifest 3 (entries 9-9)"],
            oldOnly.Breaks.Where(b => b.Kind == BreakKind.UnknownKey).Select(b => b.Where));
    }

    [Fact]
    public async Task Verify_IndexNamesTheOtherSitesCam1_ReportsEveryManifestForeign()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.Index, b =>
            Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(b).Replace("\"recorder\": \"rec-a\"", "\"recorder\": \"rec-b\"", StringComparison.Ordinal))));

        BundleReport report = EvidenceBundles.Verify(tampered).Report;

        Assert.Equal("rec-b~cam1", report.Index.Camera.ToString());
        Assert.Equal(4, report.Breaks.Count(b => b.Kind == BreakKind.Foreign && b.Manifest is not null));
        Assert.Empty(report.Exported);
    }

    [Fact]
    public async Task Verify_PinnedKeyIsTheBundles_IsIntact()
    {
        (string path, _) = await _bundles.WriteAsync();

        Assert.True(EvidenceBundles.Verify(path, [A.PublicKey]).Report.IsIntact);
    }

    [Fact]
    public async Task Verify_EntryAppendedToTheLastManifestFile_ReportsItUnsigned()
    {
        (string path, _) = await _bundles.WriteAsync();
        ChainEntry last = A.Entries[^1];
        byte[] bytes = Encoding.UTF8.GetBytes("footage added later");
        ChainEntry added = ChainEntry.NextSegment(A.Camera, last, 2, last.Sequence!.Value + 1, last.End, last.End.AddSeconds(4), bytes.Length,
            Convert.ToHexStringLower(SHA256.HashData(bytes)));
        string tampered = _bundles.Tamper(path, files =>
        {
            EvidenceBundles.Replace(files, BundleLayout.ManifestFile(3), b => [.. b, .. added.Bytes, (byte)'\n']);
            files.Add((BundleLayout.SegmentFile(2, added.Sequence!.Value), bytes));
        });

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Altered, added.Index), (only.Kind, only.Entry!.Value));
        Assert.StartsWith($"{BundleLayout.ManifestFile(3)}, entry {added.Index}", only.Where, StringComparison.Ordinal);
        Assert.Contains("its manifest 3 signs entries 9-9 only", only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SegmentFileNoEntryNames_ReportsItForeign()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => files.Add((BundleLayout.SegmentFile(7, 1), _bundles.B.Files.Values.First())));

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Foreign, BundleLayout.SegmentFile(7, 1)), (only.Kind, only.Where));
    }

    [Fact]
    public async Task Verify_FirstManifestAndItsSegmentsLeftOut_ReportsTheChainStartsAfterTheRange()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => files.RemoveAll(f =>
            f.Name == BundleLayout.ManifestFile(0) || new[] { 0L, 1, 2 }.Any(s => f.Name == EvidenceBundles.SegmentOf(A, s))));

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Missing, 3L), (only.Kind, only.Entry));
        Assert.Contains("range starts at 2026-12-01T08:00:00.000Z, but its chain starts later, at 2026-12-01T08:00:12.000Z", only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_LastManifestAndItsSegmentLeftOut_ReportsTheChainEndsBeforeTheRange()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => files.RemoveAll(f => f.Name == BundleLayout.ManifestFile(3) || f.Name == EvidenceBundles.SegmentOf(A, 8)));

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(tampered).Report.Breaks);

        Assert.Equal((BreakKind.Missing, 8L), (only.Kind, only.Entry));
    }

    [Fact]
    public async Task Verify_SegmentFarLargerThanItsEntrySigns_ReadsOnlyOneByteMore()
    {
        (string path, _) = await _bundles.WriteAsync();
        string file = EvidenceBundles.SegmentOf(A, 0);
        ChainEntry entry = A.Entries[0];
        var files = EvidenceBundles.Files(path);
        EvidenceBundles.Replace(files, file, _ => new byte[64 << 20]); // 64 MiB of zeros, deflated to a few hundred KiB
        string bomb = _bundles.Zip(files);

        ChainBreak only = Assert.Single(EvidenceBundles.Verify(bomb).Report.Breaks);

        Assert.Equal((BreakKind.Altered, 0L), (only.Kind, only.Entry));
        Assert.Contains($"has {entry.Size + 1} bytes", only.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_SegmentsAreStoredByteForByte_AndTheIndexListsThem()
    {
        (string path, BundleWriteResult written) = await _bundles.WriteAsync();

        using ZipArchive zip = ZipFile.OpenRead(path);
        var segments = zip.Entries.Where(e => e.FullName.StartsWith(BundleLayout.SegmentsFolder, StringComparison.Ordinal)).ToList();
        Assert.Equal(9, segments.Count);
        Assert.All(segments, s => Assert.Equal(s.Length, s.CompressedLength));
        foreach (IndexedSegment s in written.Index.Segments)
        {
            using Stream stream = zip.GetEntry(s.File)!.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.Equal(A.Files[s.RecordingId], copy.ToArray());
        }
        BundleIndex read = BundleIndex.Parse(EvidenceBundles.Files(path).Single(f => f.Name == BundleLayout.Index).Bytes);
        Assert.Equal((written.Index.Camera, written.Index.From, written.Index.To), (read.Camera, read.From, read.To));
        Assert.Equal(written.Index.Segments, read.Segments);
        Assert.Equal(2, read.Gaps.Count); // rec-b's cam1 gap is not this camera's
        Assert.Equal(EvidenceBundles.ManifestFiles(A), EvidenceBundles.Files(path).Where(f => f.Name.StartsWith(BundleLayout.ManifestsFolder, StringComparison.Ordinal)).Select(f => f.Bytes));
    }

    [Fact]
    public async Task Write_ArchiveLacksASegment_WritesTheRestAndSaysSo_AndVerifyFindsItMissing()
    {
        string lost = A.Entries.Single(e => e.Sequence == 5).RecordingId!;
        A.Files.Remove(lost);

        (string path, BundleWriteResult written) = await _bundles.WriteAsync();

        Assert.Contains($"recording {lost}): the archive does not have it", Assert.Single(written.Problems), StringComparison.Ordinal);
        ChainBreak only = Assert.Single(EvidenceBundles.Verify(path).Report.Breaks);
        Assert.Equal((BreakKind.Missing, 6L), (only.Kind, only.Entry));
    }

    [Fact]
    public async Task Write_ArchiveHoldsOtherBytes_WritesThemAsFoundAndSaysSo_AndVerifyFindsThemAltered()
    {
        string changed = A.Entries.Single(e => e.Sequence == 7).RecordingId!;
        A.Files[changed] = [.. A.Files[changed], 0];

        (string path, BundleWriteResult written) = await _bundles.WriteAsync();

        Assert.Contains($"recording {changed}): the archive holds", Assert.Single(written.Problems), StringComparison.Ordinal);
        ChainBreak only = Assert.Single(EvidenceBundles.Verify(path).Report.Breaks);
        Assert.Equal((BreakKind.Altered, 8L), (only.Kind, only.Entry));
    }

    [Fact]
    public async Task Write_AnotherCamerasManifest_IsRefused()
    {
        List<byte[]> manifests = [.. EvidenceBundles.ManifestFiles(A).Take(1), EvidenceBundles.ManifestFiles(_bundles.B)[1]];

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _bundles.WriteAsync(_bundles.Content(manifests: manifests)));

        Assert.Contains("camera rec-b~cam1's, not rec-a~cam1's", e.Message, StringComparison.Ordinal);
    }
}
