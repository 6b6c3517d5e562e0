using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>
/// The published vectors of docs/evidence-format.md (tests/testdata/evidence, written by make_vectors.py with Python's
/// hashlib and cryptography, not by this library): the library encodes the same bytes, gets the same hashes, and
/// verifies the signatures with the published public key.
/// </summary>
public sealed class EvidenceVectorTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "testdata", "evidence");
    private static readonly CameraKey Cam = new("rec-a", "cam1");

    private static JsonElement Vectors => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "vectors.json"))).RootElement;

    [Fact]
    public void Entries_EncodedByTheLibrary_AreThePublishedBytesAndHashes()
    {
        JsonElement[] published = Vectors.GetProperty("entries").EnumerateArray().ToArray();
        JsonElement[] segments = Vectors.GetProperty("segments").EnumerateArray().ToArray();
        DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
        (long Size, string Sha) Seg(int i) => (Convert.FromBase64String(segments[i].GetProperty("bytes_base64").GetString()!).Length, segments[i].GetProperty("sha256").GetString()!);

        ChainEntry e0 = ChainEntry.NextSegment(Cam, null, 1, 0, T("2026-12-01T08:00:00Z"), T("2026-12-01T08:00:04Z"), Seg(0).Size, Seg(0).Sha);
        ChainEntry e1 = ChainEntry.NextSegment(Cam, e0, 1, 1, T("2026-12-01T08:00:04Z"), T("2026-12-01T08:00:08.040Z"), Seg(1).Size, Seg(1).Sha);
        ChainEntry e2 = ChainEntry.NextGap(Cam, e1, T("2026-12-01T08:00:08.040Z"), T("2026-12-01T08:00:40.500Z"), "camera offline: \"no route\"\ncafé");
        ChainEntry e3 = ChainEntry.NextSegment(Cam, e2, 2, 0, T("2026-12-01T08:00:40.500Z"), T("2026-12-01T08:00:44.500Z"), Seg(2).Size, Seg(2).Sha);

        ChainEntry[] mine = [e0, e1, e2, e3];
        Assert.Equal(published.Length, mine.Length);
        for (int i = 0; i < mine.Length; i++)
        {
            Assert.Equal(published[i].GetProperty("canonical").GetString(), Encoding.UTF8.GetString(mine[i].Bytes));
            Assert.Equal(published[i].GetProperty("sha256").GetString(), mine[i].Hash);
        }
    }

    [Fact]
    public void ManifestFiles_VerifyWithThePublishedKey_AndTheirHashesArePublished()
    {
        EvidencePublicKey key = EvidencePublicKey.FromPem(File.ReadAllText(Path.Combine(Folder, "public-key.pem")));
        Assert.Equal(Vectors.GetProperty("key_fingerprint").GetString(), key.Fingerprint);
        Assert.Equal(Vectors.GetProperty("public_key_spki_base64").GetString(), key.ToBase64());

        var files = Vectors.GetProperty("manifests").EnumerateArray()
            .Select(m => (Published: m, File: ManifestFile.Parse(File.ReadAllBytes(Path.Combine(Folder, m.GetProperty("file").GetString()!))))).ToList();
        var segments = Vectors.GetProperty("segments").EnumerateArray().ToDictionary(
            s => RecordingId.For("rec-a", "cam1", s.GetProperty("run").GetInt64(), s.GetProperty("seq").GetInt64()),
            s => Convert.FromBase64String(s.GetProperty("bytes_base64").GetString()!));

        ChainReport report = ChainVerifier.Verify(new ChainEvidence(Cam, files.Select(f => f.File.Manifest).ToList(),
            files.SelectMany(f => f.File.Entries).ToList(), [key],
            e => segments.TryGetValue(e.RecordingId!, out byte[]? b) ? new SegmentFacts(b.Length, Convert.ToHexStringLower(SHA256.HashData(b))) : null));

        Assert.True(report.IsIntact, string.Join("\n", report.Breaks));
        Assert.Equal(4, report.Entries.Count);
        Assert.Equal(files.Select(f => f.Published.GetProperty("sha256").GetString()), report.Manifests.Select(m => m.Hash));
        Assert.Equal(files.Select(f => f.Published.GetProperty("signature_p1363_base64").GetString()), files.Select(f => Convert.ToBase64String(f.File.Manifest.Signature)));
    }

    [Fact]
    public void PublishedManifest_OneEntryByteChanged_IsRefusedNamingTheEntry()
    {
        EvidencePublicKey key = EvidencePublicKey.FromPem(File.ReadAllText(Path.Combine(Folder, "public-key.pem")));
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, "rec-a~cam1-0000000000.manifest"));
        int at = Encoding.UTF8.GetString(bytes).IndexOf("08:00:04.000Z", StringComparison.Ordinal); // entry 0's end
        bytes[at + 7] = (byte)'5';
        ManifestFile file = ManifestFile.Parse(bytes);

        ChainReport report = ChainVerifier.Verify(new ChainEvidence(Cam, [file.Manifest], file.Entries.ToList(), [key]));

        ChainBreak only = Assert.Single(report.Breaks);
        Assert.Equal(BreakKind.Altered, only.Kind);
        Assert.Equal(0, only.Entry);
    }
}
