using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>
/// Salvaged segments in a bundle (docs/evidence-bundle.md, "Salvaged segments"): footage the cloud finished after the
/// recorder went silent, with no chain entry. Carried byte for byte under salvaged/, checked against the cloud's SHA-256,
/// listed apart from the signed footage, never counted as covered by the chain; a changed byte, a file the index does
/// not list, another camera's recording, or a signed segment passed off as salvaged is a break.
/// </summary>
public sealed class SalvagedBundleTests : IDisposable
{
    private readonly EvidenceBundles _bundles = new();

    public void Dispose() => _bundles.Dispose();

    private EvidenceChain A => _bundles.A;

    private static DateTimeOffset T0 => EvidenceBundles.T0;

    /// <summary>rec-a's cam1 went silent after its last signed segment (run 2 seq 8, ending 08:01:06): the sweep finished seq 9.</summary>
    private static (SalvagedSegment Segment, byte[] Bytes) Salvaged(string recorderId = "rec-a", long run = 2, long seq = 9, string text = "rec-a cam1 salvaged footage")
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text + new string('y', 300));
        DateTimeOffset start = T0.AddSeconds(66);
        string reason = SalvageReasons.Finished(SalvageReasons.Offline(start.AddSeconds(2)), bytes.Length);
        return (new SalvagedSegment(BundleLayout.SalvagedFile(run, seq), RecordingId.For(recorderId, "cam1", run, seq), run, seq, start, start.AddSeconds(2.5),
            bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), reason, BundleLayout.SalvageFinisher, T0.AddMinutes(5)), bytes);
    }

    private Task<(string Path, BundleWriteResult Result)> WriteAsync(params (SalvagedSegment Segment, byte[] Bytes)[] salvaged) =>
        _bundles.WriteAsync(_bundles.Content() with { Salvaged = [.. salvaged.Select(s => s.Segment)] },
            salvaged: salvaged.ToDictionary(s => s.Segment.RecordingId, s => s.Bytes));

    /// <summary>The bundle's index, changed as JSON by <paramref name="change"/>.</summary>
    private static void EditIndex(List<(string Name, byte[] Bytes)> files, Action<JsonObject> change) =>
        EvidenceBundles.Replace(files, BundleLayout.Index, bytes =>
        {
            JsonObject index = JsonNode.Parse(bytes)!.AsObject();
            change(index);
            return Encoding.UTF8.GetBytes(index.ToJsonString());
        });

    private static JsonObject SalvagedJson(SalvagedSegment s) => new()
    {
        ["file"] = s.File, ["recording"] = s.RecordingId, ["run"] = s.Run, ["seq"] = s.Sequence,
        ["start"] = s.Start.UtcDateTime.ToString("O"), ["end"] = s.End.UtcDateTime.ToString("O"), ["size"] = s.Size, ["sha256"] = s.Sha256,
        ["sha256By"] = "cloud", ["reason"] = s.Reason, ["custody"] = new JsonObject { ["finishedBy"] = "forger", ["finishedAt"] = null },
    };

    [Fact]
    public async Task Verify_SignedSegmentsThenASalvagedOne_IsIntact_ListsItAsSalvaged_AndCountsItNotAsCovered()
    {
        (SalvagedSegment segment, byte[] bytes) = Salvaged();
        (string path, BundleWriteResult written) = await WriteAsync((segment, bytes));

        (BundleReport report, string text) = EvidenceBundles.Verify(path, [A.PublicKey]);

        Assert.Empty(written.Problems);
        Assert.True(report.IsIntact, text);
        Assert.Equal(bytes, EvidenceBundles.Files(path).Single(f => f.Name == "salvaged/000002-000009.mp4").Bytes);
        Assert.Equal([segment.RecordingId], report.SalvagedSegments.Select(s => s.RecordingId));
        Assert.Equal(9, report.Exported.Count);
        Assert.Equal(T0.AddSeconds(66), report.CoveredTo);
        Assert.Equal(T0.AddSeconds(66), report.Index.To);
        Assert.Contains("Covered:   2026-12-01T08:00:00.000Z to 2026-12-01T08:01:06.000Z (first to last exported frame, signed), 9 segment file(s)", text, StringComparison.Ordinal);
        Assert.Contains("  SALVAGED: salvaged/000002-000009.mp4 2026-12-01T08:01:06.000Z to 2026-12-01T08:01:08.500Z, 327 bytes, SHA-256 " + segment.Sha256 +
            ": not signed by the recorder; bytes as the cloud archived them", text, StringComparison.Ordinal);
        Assert.Contains("reason: recorder offline since 2026-12-01T08:01:08Z; finished by the sweep at the 327 bytes the store held; finished by the cloud's reconcile sweep", text, StringComparison.Ordinal);
        Assert.EndsWith("Verdict: INTACT, with 1 salvaged segment(s) listed above: bytes as the cloud archived them, not signed by the recorder" + Environment.NewLine, text, StringComparison.Ordinal);
        var output = new StringWriter();
        Assert.Equal(VerifyCommand.Intact, VerifyCommand.Run(path, [], output, new StringWriter()));
    }

    [Fact]
    public async Task Verify_SalvagedSegmentWithAChangedByte_IsBroken_NamingIt()
    {
        (string path, _) = await WriteAsync(Salvaged());
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, "salvaged/000002-000009.mp4", b =>
        {
            byte[] copy = [.. b];
            copy[10] ^= 1;
            return copy;
        }));

        (BundleReport report, string text) = EvidenceBundles.Verify(tampered, [A.PublicKey]);

        ChainBreak broken = Assert.Single(report.Breaks);
        Assert.Equal(BreakKind.Altered, broken.Kind);
        Assert.StartsWith("salvaged/000002-000009.mp4 (salvaged recording ", broken.Where, StringComparison.Ordinal);
        Assert.Contains("SALVAGED segment changed", broken.Detail, StringComparison.Ordinal);
        Assert.Empty(report.SalvagedSegments);
        Assert.Contains("Verdict: BROKEN (1 break)", text, StringComparison.Ordinal);
        Assert.Equal(VerifyCommand.Broken, VerifyCommand.Run(tampered, [], new StringWriter(), new StringWriter()));
    }

    [Fact]
    public async Task Verify_SalvagedFileTheIndexDoesNotList_IsForeign_AndAListedOneWithoutItsFile_IsMissing()
    {
        (SalvagedSegment segment, byte[] bytes) = Salvaged();
        (string path, _) = await WriteAsync((segment, bytes));
        string unlisted = _bundles.Tamper(path, files => EditIndex(files, index => index["salvaged"] = new JsonArray()));
        string fileless = _bundles.Tamper(path, files => files.RemoveAll(f => f.Name == segment.File));

        ChainBreak foreign = Assert.Single(EvidenceBundles.Verify(unlisted).Report.Breaks);
        ChainBreak missing = Assert.Single(EvidenceBundles.Verify(fileless).Report.Breaks);

        Assert.Equal((BreakKind.Foreign, segment.File), (foreign.Kind, foreign.Where));
        Assert.Equal(BreakKind.Missing, missing.Kind);
        Assert.StartsWith(segment.File, missing.Where, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SalvagedRecordingOfAnotherSitesCam1_IsForeign()
    {
        // rec-b's cam1 has the same camera ID, run and sequence: its recording ID is rec-b's, not rec-a's.
        (SalvagedSegment other, byte[] bytes) = Salvaged("rec-b", text: "rec-b cam1 salvaged footage");
        (string path, _) = await WriteAsync();
        string slipped = _bundles.Tamper(path, files =>
        {
            files.Add((other.File, bytes));
            EditIndex(files, index => index["salvaged"] = new JsonArray(SalvagedJson(other)));
        });

        (BundleReport report, _) = EvidenceBundles.Verify(slipped);

        ChainBreak foreign = Assert.Single(report.Breaks);
        Assert.Equal(BreakKind.Foreign, foreign.Kind);
        Assert.Contains("not camera rec-a~cam1's for run 2 seq 9", foreign.Detail, StringComparison.Ordinal);
        Assert.Empty(report.SalvagedSegments);
    }

    [Fact]
    public async Task Verify_SignedSegmentPassedOffAsSalvaged_ToDodgeTheChain_IsBroken()
    {
        // A forger changes signed segment 8 and moves it to salvaged/ with its new SHA-256, hoping the chain no longer checks it.
        ChainEntry signed = A.Entries.Single(e => e.Sequence == 8);
        byte[] changed = Encoding.UTF8.GetBytes("doctored footage");
        SalvagedSegment forged = Salvaged().Segment with
        {
            File = BundleLayout.SalvagedFile(2, 8), RecordingId = signed.RecordingId!, Sequence = 8, Start = signed.Start, End = signed.End,
            Size = changed.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(changed)),
        };
        (string path, _) = await WriteAsync();
        string downgraded = _bundles.Tamper(path, files =>
        {
            files.RemoveAll(f => f.Name == EvidenceBundles.SegmentOf(A, 8));
            files.Add((forged.File, changed));
            EditIndex(files, index => index["salvaged"] = new JsonArray(SalvagedJson(forged)));
        });

        (BundleReport report, string text) = EvidenceBundles.Verify(downgraded, [A.PublicKey]);

        Assert.False(report.IsIntact);
        Assert.Contains(report.Breaks, b => b.Kind == BreakKind.Missing && b.Where.Contains("seq 8", StringComparison.Ordinal));
        ChainBreak claim = Assert.Single(report.Breaks, b => b.Where.StartsWith(forged.File, StringComparison.Ordinal));
        Assert.Equal(BreakKind.Altered, claim.Kind);
        Assert.Contains($"entry {signed.Index} of the recorder's signed chain is this segment", claim.Detail, StringComparison.Ordinal);
        Assert.Empty(report.SalvagedSegments);
        Assert.DoesNotContain("SALVAGED:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SalvagedClaimBeforeALaterSignedSegmentOfItsRun_IsBroken()
    {
        // Run 2's seq 3 was never signed in run 2, but seq 4..8 were: a recorder seals a run's segments in order and signs
        // each, so an unsigned segment before a signed one of its run is not what a silent recorder left.
        (SalvagedSegment early, byte[] bytes) = Salvaged(seq: 3);
        (string path, _) = await WriteAsync();
        string claimed = _bundles.Tamper(path, files =>
        {
            files.Add((early.File, bytes));
            EditIndex(files, index => index["salvaged"] = new JsonArray(SalvagedJson(early)));
        });

        ChainBreak claim = Assert.Single(EvidenceBundles.Verify(claimed, [A.PublicKey]).Report.Breaks);

        Assert.Equal(BreakKind.Altered, claim.Kind);
        Assert.Contains("the recorder signed a later segment of run 2", claim.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_TakesOnlySalvagedSegmentsOfTheRequestedRange_AndNeverOneTheChainSigns()
    {
        (SalvagedSegment inRange, byte[] bytes) = Salvaged();
        ChainEntry signed = A.Entries.Single(e => e.Sequence == 8);
        SalvagedSegment signedOne = inRange with { RecordingId = signed.RecordingId!, Sequence = 8 };
        ExportContent content = _bundles.Content(to: T0.AddSeconds(66)) with { Salvaged = [inRange] };

        (string early, _) = await _bundles.WriteAsync(content, name: "early.zip", salvaged: new Dictionary<string, byte[]> { [inRange.RecordingId] = bytes });
        (_, BundleWriteResult withSigned) = await _bundles.WriteAsync(_bundles.Content() with { Salvaged = [signedOne] }, name: "signed.zip",
            salvaged: new Dictionary<string, byte[]> { [signed.RecordingId!] = bytes });

        Assert.DoesNotContain(EvidenceBundles.Files(early), f => f.Name.StartsWith(BundleLayout.SalvagedFolder, StringComparison.Ordinal));
        Assert.Empty(EvidenceBundles.Verify(early).Report.SalvagedSegments);
        Assert.Empty(withSigned.Index.SalvagedSegments);
        Assert.Contains(withSigned.Problems, p => p.Contains("a signed entry names it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Read_BundleWrittenBeforeSalvage_WithNoSalvagedMember_ReadsAsNone()
    {
        (string path, _) = await _bundles.WriteAsync();
        string old = _bundles.Tamper(path, files => EditIndex(files, index => index.Remove("salvaged")));

        (BundleReport report, string text) = EvidenceBundles.Verify(old);

        Assert.True(report.IsIntact, text);
        Assert.Empty(report.Index.SalvagedSegments);
    }
}
