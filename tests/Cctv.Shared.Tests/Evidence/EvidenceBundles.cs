using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>
/// Bundles for tests: rec-a's <c>cam1</c> chain written by <see cref="BundleWriter"/> into a temporary folder, and
/// rec-b's <c>cam1</c> chain beside it to slip in. A bundle is tampered with by rewriting its files as a list (name,
/// bytes), which is also how a zip with odd names (duplicates, ../) is made.
/// </summary>
internal sealed class EvidenceBundles : IDisposable
{
    public const string CatalogOnlyReason = "recorder restarted";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cctv-bundle-tests-" + Guid.NewGuid().ToString("N"));

    public EvidenceBundles()
    {
        Directory.CreateDirectory(_folder);
    }

    public EvidenceChain A { get; } = new("rec-a");
    public EvidenceChain B { get; } = new("rec-b");

    public static DateTimeOffset T0 => EvidenceChain.T0;

    /// <summary>A chain's manifest files, each as the recorder uploads it.</summary>
    public static List<byte[]> ManifestFiles(EvidenceChain chain, IEnumerable<SignedManifest>? signed = null) =>
        (signed ?? chain.Signed).Zip(chain.Manifests, (s, m) => new ManifestFile(s, chain.Entries.Where(e => e.Index >= m.First && e.Index <= m.Last).Select(e => e.Bytes).ToList()).ToBytes()).ToList();

    /// <summary>What an export of rec-a's cam1 hands the writer: its manifests, key, the catalog's gaps (one the chain also has, one it does not), clock states and custody.</summary>
    public ExportContent Content(DateTimeOffset? from = null, DateTimeOffset? to = null, List<byte[]>? manifests = null)
    {
        ChainEntry gap = A.Entries.Single(e => e.Kind == ChainEntryKind.Gap);
        using JsonDocument clock = JsonDocument.Parse("""{"1":{"readAt":"2026-12-01T07:59:59.000Z","synchronised":true,"offsetMicros":12,"maxErrorMicros":5000,"estimatedErrorMicros":300,"source":"adjtimex"},"2":{"readAt":"2026-12-01T08:00:46.000Z","synchronised":false,"offsetMicros":null,"maxErrorMicros":null,"estimatedErrorMicros":null,"source":"unknown: not Linux"}}""");
        return new ExportContent(A.Camera, "Front gate", from ?? T0.AddHours(-1), to ?? T0.AddHours(1), manifests ?? ManifestFiles(A), [A.PublicKey],
            [
                new RecordingGap("g1", "rec-a", "cam1", gap.Start, gap.End, "camera offline"),
                new RecordingGap("g2", "rec-a", "cam1", T0.AddSeconds(60), T0.AddSeconds(61), CatalogOnlyReason),
                new RecordingGap("g3", "rec-b", "cam1", T0.AddSeconds(1), T0.AddSeconds(2), "another site's gap"),
            ],
            clock.RootElement.EnumerateObject().ToDictionary(p => long.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.Clone()),
            new CustodyRecord("investigator@example.org", T0.AddDays(1), "user token (sub 1234)", "POST /api/export 7f3a",
                [new CustodyRead(T0.AddHours(3), "operator@example.org", "download", "rec-a~cam1 08:00-08:01", "203.0.113.7")]));
    }

    /// <summary>Writes a bundle with the segments <paramref name="chain"/> holds (default rec-a's); its path.</summary>
    /// <param name="salvaged">The archive's bytes of salvaged recordings, by recording ID.</param>
    public async Task<(string Path, BundleWriteResult Result)> WriteAsync(ExportContent? content = null, EvidenceChain? chain = null, string name = "bundle.zip",
        IReadOnlyDictionary<string, byte[]>? salvaged = null)
    {
        chain ??= A;
        string path = Path.Combine(_folder, name);
        await using FileStream output = System.IO.File.Create(path);
        BundleWriteResult result = await BundleWriter.WriteAsync(content ?? Content(), (entry, _) =>
            Task.FromResult<Stream?>(chain.Files.TryGetValue(entry.RecordingId!, out byte[]? bytes) ? new MemoryStream(bytes) : null), output, CancellationToken.None,
            (segment, _) => Task.FromResult<Stream?>(salvaged is not null && salvaged.TryGetValue(segment.RecordingId, out byte[]? bytes) ? new MemoryStream(bytes) : null));
        return (path, result);
    }

    public static List<(string Name, byte[] Bytes)> Files(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        return zip.Entries.Select(e =>
        {
            using Stream s = e.Open();
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        }).ToList();
    }

    /// <summary>A copy of the bundle at <paramref name="path"/> with its files changed by <paramref name="change"/>.</summary>
    public string Tamper(string path, Action<List<(string Name, byte[] Bytes)>> change)
    {
        List<(string Name, byte[] Bytes)> files = Files(path);
        change(files);
        return Zip(files);
    }

    /// <summary>A zip of exactly these files (any names, duplicates too).</summary>
    public string Zip(IEnumerable<(string Name, byte[] Bytes)> files, CompressionLevel level = CompressionLevel.Optimal)
    {
        string path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".zip");
        using ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach ((string name, byte[] bytes) in files)
        {
            using Stream s = zip.CreateEntry(name, level).Open();
            s.Write(bytes);
        }
        return path;
    }

    public string File(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public static void Replace(List<(string Name, byte[] Bytes)> files, string name, Func<byte[], byte[]> change)
    {
        int i = files.FindIndex(f => f.Name == name);
        Assert.True(i >= 0, $"the bundle has {name}");
        files[i] = (name, change(files[i].Bytes));
    }

    public static string SegmentOf(EvidenceChain chain, long sequence)
    {
        ChainEntry entry = chain.Entries.Single(e => e.Sequence == sequence);
        return BundleLayout.SegmentFile(entry.Run!.Value, sequence);
    }

    public static (BundleReport Report, string Text) Verify(string path, IReadOnlyCollection<EvidencePublicKey>? pinned = null)
    {
        using EvidenceBundle bundle = EvidenceBundle.Open(path);
        BundleReport report = BundleVerifier.Verify(bundle, pinned);
        var text = new StringWriter();
        BundleReportText.Write(report, text, Path.GetFileName(path));
        return (report, text.ToString());
    }

    public static SignedManifest ReSign(ChainManifest manifest, ECDsa key) => SignedManifest.Sign(
        new ChainManifest(manifest.Camera, EvidencePublicKey.Of(key).Fingerprint, manifest.Sequence, manifest.First, manifest.Last, manifest.Head,
            manifest.PreviousManifest, manifest.SignedAt), key);

    /// <summary>Every manifest of <paramref name="chain"/> signed again, manifest N with <paramref name="keyOf"/>(N), linked to each other as a recorder holding those keys would.</summary>
    public static List<SignedManifest> ReSignAll(EvidenceChain chain, Func<long, ECDsa> keyOf)
    {
        ChainManifest? previous = null;
        var signed = new List<SignedManifest>();
        foreach (ChainManifest m in chain.Manifests)
        {
            ECDsa key = keyOf(m.Sequence);
            previous = new ChainManifest(m.Camera, EvidencePublicKey.Of(key).Fingerprint, m.Sequence, m.First, m.Last, m.Head, previous?.Hash ?? ChainManifest.NoPrevious, m.SignedAt);
            signed.Add(SignedManifest.Sign(previous, key));
        }
        return signed;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
