using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// Evidence from the demo's cameras to a verdict: the agent records a camera with real FFmpeg, stops and starts again
/// (a gap), the manifests the recorder signs are archived by the functions host; the built <c>export</c> writes the
/// bundle of a range containing the gap, the built <c>verify</c> finds it intact and prints the gap with its reason,
/// and refuses it after each kind of tampering (a byte of a segment, a segment dropped, two swapped, a manifest of the
/// same chain or of another camera, another key), naming what. The same export through the API route verifies too.
/// </summary>
[Trait("Category", "Slow")]
public sealed class EvidenceExportTests : IDisposable
{
    private static readonly CameraKey Cam1 = new("e2e", "cam1");
    private static readonly CameraKey Cam2 = new("e2e", "cam2");
    private readonly TempDir _dir = new("e2e-export");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RecordWithAGap_ExportVerifiesIntact_AndEachTamperingIsRefusedNamingWhat()
    {
        await using RecordingRig rig = await RecordingRig.StartAsync(cameras: 1, segmentSeconds: 2);
        // Two runs of the agent with a pause between them: the recorder's chain and the catalog hold the gap.
        await RecordAsync(rig, rig.Agent, segments: 3);
        DateTimeOffset paused = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(8));
        var second = new RecorderAgent(rig.Edge);
        await second.RecoverAsync(CancellationToken.None);
        await RecordAsync(rig, second, segments: 6);
        List<OutboxSegment> cam1 = [.. rig.Edge.Outbox.All().Where(r => r.CameraId == "cam1").OrderBy(r => r.StartTime)];
        Assert.All(cam1, r => Assert.Equal(EdgeState.Verified, r.State));
        DateTimeOffset from = cam1[0].StartTime, to = cam1[^1].EndTime;
        Assert.True(cam1.Any(r => r.StartTime > paused) && cam1.Any(r => r.EndTime < paused), "the pause must fall inside the exported range");
        await WaitForArchivedManifestsAsync(rig.Backend, Cam1, to);
        RecordingGap gap = Assert.Single(await rig.Backend.Catalog.ListGapsAsync(Cam1, from, to, CancellationToken.None),
            g => g.StartTime < paused.AddSeconds(8) && (g.EndTime ?? to) > paused);

        // The built export, as an operator runs it, then the built verify.
        string bundle = Path.Combine(_dir.Path, "cam1.zip");
        (int exported, string exportOut, string exportErr) = await RunAsync("export", "--data-dir", rig.DataDir, "--camera", "e2e/cam1",
            "--from", Iso(from), "--to", Iso(to), "--out", bundle);
        Assert.True(exported == 0, exportOut + exportErr);
        (int intact, string report, string intactErr) = await RunAsync("verify", bundle);
        Assert.True(intact == 0, report + intactErr);
        Assert.Contains("Verdict: INTACT", report, StringComparison.Ordinal);
        Assert.Contains($"Camera:    {Cam1}", report, StringComparison.Ordinal);
        // The gap, with the reason the recorder signed, inside the covered time.
        string gapLine = report.Split('\n').Single(l => l.Contains("[signed, chain entry", StringComparison.Ordinal) && l.Contains(Iso(gap.StartTime), StringComparison.Ordinal));
        Assert.Contains(gap.Reason, gapLine, StringComparison.Ordinal);
        List<(string Name, byte[] Bytes)> files = Files(bundle);
        List<string> segments = [.. files.Select(f => f.Name).Where(n => n.StartsWith(BundleLayout.SegmentsFolder, StringComparison.Ordinal)).Order()];
        Assert.Equal(cam1.Count, segments.Count);

        // Each tampering, each refused (exit 1), naming what.
        string seg = segments[2], other = segments[^2];
        await AssertRefusedAsync(Tamper(bundle, "byte", f => Replace(f, seg, b => { b[b.Length / 2] ^= 0x01; return b; })), "Altered", Named(seg));
        await AssertRefusedAsync(Tamper(bundle, "dropped", f => f.RemoveAll(x => x.Name == seg)), "Missing", Named(seg));
        await AssertRefusedAsync(Tamper(bundle, "reordered", f =>
        {
            byte[] a = f.Single(x => x.Name == seg).Bytes, b = f.Single(x => x.Name == other).Bytes;
            Replace(f, seg, _ => b);
            Replace(f, other, _ => a);
        }), "Altered", Named(seg), Named(other));
        List<string> manifests = [.. files.Select(f => f.Name).Where(n => n.StartsWith(BundleLayout.ManifestsFolder, StringComparison.Ordinal)).Order()];
        Assert.True(manifests.Count >= 2, string.Join(", ", manifests));
        string manifest = manifests[0];
        byte[] original = files.Single(f => f.Name == manifest).Bytes;
        // Another manifest of the same chain under this one's name.
        byte[] next = files.Single(f => f.Name == manifests[1]).Bytes;
        await AssertRefusedAsync(Tamper(bundle, "manifest-swapped", f => Replace(f, manifest, _ => next)), segments[0], "Missing at before entry");
        // Another camera's manifest (cam2's, signed by its own key) over the same entries.
        using (var cam2Key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            ManifestFile file = ManifestFile.Parse(original);
            ChainManifest m = ChainManifest.TryParse(file.Manifest.Bytes, out _)!;
            var forged = new ChainManifest(Cam2, EvidencePublicKey.Of(cam2Key).Fingerprint, m.Sequence, m.First, m.Last, m.Head, m.PreviousManifest, m.SignedAt);
            byte[] cam2Manifest = new ManifestFile(SignedManifest.Sign(forged, cam2Key), file.Entries).ToBytes();
            await AssertRefusedAsync(Tamper(bundle, "manifest-of-cam2", f => Replace(f, manifest, _ => cam2Manifest)), "Foreign at manifest 0", $"camera {Cam2}'s chain");
        }
        string keyFile = files.Select(f => f.Name).Single(n => n.StartsWith(BundleLayout.KeysFolder, StringComparison.Ordinal));
        using (var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            byte[] pem = System.Text.Encoding.ASCII.GetBytes(EvidencePublicKey.Of(otherKey).ToPem() + "\n");
            await AssertRefusedAsync(Tamper(bundle, "key", f => Replace(f, keyFile, _ => pem)), "UnknownKey at manifest 0");
            // The recipient pins the recorder's registered key: the bundle's own key, however consistent, is not it.
            string pinned = Path.Combine(_dir.Path, "other.pem");
            await File.WriteAllBytesAsync(pinned, pem);
            (int pinnedExit, string pinnedOut, _) = await RunAsync("verify", bundle, "--key", pinned);
            Assert.True(pinnedExit == 1, pinnedOut);
            Assert.Contains(keyFile, pinnedOut, StringComparison.Ordinal);
        }

        // The same export through the API route (the rig's host, the operator's token): a link to a bundle that verifies.
        using HttpClient api = rig.ApiClient();
        using HttpResponseMessage made = await api.PostAsync(
            new Uri($"/api/cameras/{Cam1}/export?from={Uri.EscapeDataString(Iso(from))}&to={Uri.EscapeDataString(Iso(to))}", UriKind.Relative), null);
        string body = await made.Content.ReadAsStringAsync();
        Assert.True(made.StatusCode == HttpStatusCode.OK, body);
        using JsonDocument json = JsonDocument.Parse(body);
        byte[] downloaded = await api.GetByteArrayAsync(new Uri(json.RootElement.GetProperty("url").GetString()!));
        Assert.Equal(json.RootElement.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(downloaded)));
        string viaApi = Path.Combine(_dir.Path, "via-api.zip");
        await File.WriteAllBytesAsync(viaApi, downloaded);
        (int apiIntact, string apiReport, _) = await RunAsync("verify", viaApi);
        Assert.True(apiIntact == 0, apiReport);
        Assert.Contains(gap.Reason, apiReport, StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="agent"/> until it has recorded <paramref name="segments"/> more segments, then stops it and drains its uploads.</summary>
    private static async Task RecordAsync(RecordingRig rig, RecorderAgent agent, int segments)
    {
        int before = rig.Edge.Outbox.All().Count;
        using var stop = new CancellationTokenSource();
        Task running = agent.RunAsync(stop.Token, CancellationToken.None);
        await CameraDropTests.WaitUntilAsync(() => rig.Edge.Outbox.All().Count >= before + segments || running.IsCompleted, TimeSpan.FromSeconds(120),
            $"cam1 to record {segments} segments");
        await stop.CancelAsync();
        await running;
        Assert.True(await agent.DrainAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "the pipeline did not drain");
    }

    private async Task AssertRefusedAsync(string tampered, params string[] named)
    {
        (int exit, string stdout, string stderr) = await RunAsync("verify", tampered);
        Assert.True(exit == 1, $"{Path.GetFileName(tampered)}: exit {exit}\n{stdout}{stderr}");
        Assert.Contains("Verdict: BROKEN", stdout, StringComparison.OrdinalIgnoreCase);
        foreach (string what in named)
        {
            Assert.True(stdout.Contains(what, StringComparison.Ordinal), $"{Path.GetFileName(tampered)}: the report does not name {what}:\n{stdout}");
        }
    }

    /// <summary>How the verdict names a segment file's chain entry: its run and sequence (the file is named by them).</summary>
    private static string Named(string segmentFile)
    {
        string[] parts = Path.GetFileNameWithoutExtension(segmentFile).Split('-');
        return $"segment run {long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture)} seq {long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static string Iso(DateTimeOffset t) => Cctv.Functions.Api.RecordingItem.Iso(t);

    /// <summary>Waits until the archive holds manifests of <paramref name="camera"/> signing an entry that ends at or after <paramref name="until"/>.</summary>
    private static async Task WaitForArchivedManifestsAsync(LocalBackend backend, CameraKey camera, DateTimeOffset until)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            await foreach (StoredObject o in backend.Store.ListAsync(LocalBackend.ArchiveBucket, $"{ObjectNames.ManifestPrefix}{camera}/", CancellationToken.None))
            {
                byte[] bytes = await ReadAsync(backend, o.Name);
                if (ManifestFile.Parse(bytes).Entries.Select(e => ChainEntry.TryParse(e, out _)).Any(e => e is not null && e.End >= until))
                {
                    return;
                }
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no archived manifest of {camera} reaches {Iso(until)}");
            }
            await Task.Delay(500);
        }
    }

    private static async Task<byte[]> ReadAsync(LocalBackend backend, string name)
    {
        await using Stream s = await backend.Store.OpenReadAsync(LocalBackend.ArchiveBucket, name, CancellationToken.None);
        using var buffer = new MemoryStream();
        await s.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static List<(string Name, byte[] Bytes)> Files(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        return [.. zip.Entries.Select(e =>
        {
            using Stream s = e.Open();
            using var buffer = new MemoryStream();
            s.CopyTo(buffer);
            return (e.FullName, buffer.ToArray());
        })];
    }

    private static void Replace(List<(string Name, byte[] Bytes)> files, string name, Func<byte[], byte[]> change)
    {
        int i = files.FindIndex(f => f.Name == name);
        files[i] = (name, change(files[i].Bytes));
    }

    private string Tamper(string path, string how, Action<List<(string Name, byte[] Bytes)>> change)
    {
        List<(string Name, byte[] Bytes)> files = Files(path);
        change(files);
        string tampered = Path.Combine(_dir.Path, $"tampered-{how}.zip");
        using (ZipArchive zip = ZipFile.Open(tampered, ZipArchiveMode.Create))
        {
            foreach ((string name, byte[] bytes) in files)
            {
                ZipArchiveEntry entry = zip.CreateEntry(name, name.StartsWith(BundleLayout.SegmentsFolder, StringComparison.Ordinal) ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                using Stream s = entry.Open();
                s.Write(bytes);
            }
        }
        return tampered;
    }

    /// <summary>The built functions host (dotnet Cctv.Functions.dll ...), as an operator or a recipient runs it.</summary>
    private static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => BuiltFunctionsHost.RunAsync(args);
}
