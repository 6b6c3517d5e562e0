using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Finalize;
using Cctv.Functions.Tests.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.Functions.Tests.Finalize;

/// <summary>
/// The cloud's check of each uploaded evidence manifest: kept in the archive, verified against the recorder's
/// registered key, its neighbours and the archived recordings; each break recorded with its reason, never repaired.
/// Two recorders both have a <c>cam1</c>.
/// </summary>
public sealed class ManifestVerifierTests : IDisposable
{
    private readonly SweepRig _rig = new();
    private readonly ManifestVerifier _verifier;

    public ManifestVerifierTests() =>
        _verifier = new ManifestVerifier(_rig.Store, _rig.Catalog, new BucketNames(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket), _rig.Clock,
            NullLogger<ManifestVerifier>.Instance);

    public void Dispose() => _rig.Dispose();

    /// <summary>A recorder's chain of cam1 over <paramref name="segments"/> recordings (announced, uploaded, archived), a manifest every two entries.</summary>
    private sealed class Recorder : IDisposable
    {
        public Recorder(string id) => (Id, Key) = (id, ECDsa.Create(ECCurve.NamedCurves.nistP256));

        public string Id { get; }
        public ECDsa Key { get; }
        public CameraKey Camera => new(Id, "cam1");
        public List<ChainEntry> Entries { get; } = [];
        public List<(ChainManifest Manifest, ManifestFile File)> Manifests { get; } = [];

        public void Dispose() => Key.Dispose();
    }

    /// <param name="archived">Which segments are archived (the others stay announced, their upload still on its way); all unless given.</param>
    private async Task<Recorder> RecordAsync(string id, int segments = 4, bool register = true, Func<int, string>? shaInChain = null, Func<int, bool>? archived = null)
    {
        var recorder = new Recorder(id);
        if (register)
        {
            await _rig.Catalog.RegisterRecorderKeyAsync(RecorderKey.Of(id, recorder.Key.ExportSubjectPublicKeyInfo(), SweepRig.T0), CancellationToken.None);
        }
        for (int i = 0; i < segments; i++)
        {
            RecordingAnnouncement a = await _rig.RecordAsync("cam1", i, start: SweepRig.T0.AddSeconds(4 * i), recorder: id);
            if (archived?.Invoke(i) ?? true)
            {
                Assert.Equal(ArchiveOutcome.Archived, await _rig.Archive.ProcessAsync(a.StagingObject, CancellationToken.None));
            }
            recorder.Entries.Add(ChainEntry.NextSegment(recorder.Camera, recorder.Entries.LastOrDefault(), 1, i, a.StartTime, a.EndTime, a.FileSize,
                shaInChain?.Invoke(i) ?? a.Sha256));
        }
        for (int head = 1; head < recorder.Entries.Count; head += 2)
        {
            ChainManifest m = ChainManifest.Next(recorder.Manifests.LastOrDefault().Manifest, recorder.Camera,
                EvidencePublicKey.Of(recorder.Key).Fingerprint, recorder.Entries[head], SweepRig.T0.AddMinutes(recorder.Manifests.Count + 1));
            recorder.Manifests.Add((m, ManifestFile.Of(SignedManifest.Sign(m, recorder.Key), recorder.Entries.Skip((int)m.First).Take((int)(m.Last - m.First + 1)))));
        }
        return recorder;
    }

    private async Task<string> UploadAsync(Recorder recorder, int sequence, byte[]? bytes = null)
    {
        string name = ObjectNames.Manifest(recorder.Camera, sequence);
        bytes ??= recorder.Manifests[sequence].File.ToBytes();
        await _rig.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, name, ManifestFile.ContentType, Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0,
            new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        return name;
    }

    private async Task<ManifestCheck> UploadAndVerifyAsync(Recorder recorder, int sequence, byte[]? bytes = null) =>
        (await _verifier.VerifyAsync(await UploadAsync(recorder, sequence, bytes), CancellationToken.None))!;

    [Fact]
    public async Task Manifests_AsRecorded_VerifyWithoutABreak_AndAreKeptInTheArchive_ForEachRecordersCam1()
    {
        using Recorder a = await RecordAsync("rec-a");
        using Recorder b = await RecordAsync("rec-b");

        foreach (Recorder r in (Recorder[])[a, b])
        {
            Assert.Empty((await UploadAndVerifyAsync(r, 0)).Breaks);
            ManifestCheck second = await UploadAndVerifyAsync(r, 1);
            Assert.Empty(second.Breaks);
            Assert.True(second.Archived);
            Assert.NotNull(await _rig.Store.GetAsync(LocalBackend.ArchiveBucket, ObjectNames.Manifest(r.Camera, 1), CancellationToken.None));
            Assert.Empty(await _rig.Catalog.ListChainBreaksAsync(r.Camera, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Manifest_SignedWithAKeyTheCatalogDoesNotHave_IsRecordedUnknownKey_WithItsFootageTime()
    {
        using Recorder a = await RecordAsync("rec-a", register: false);
        using Recorder b = await RecordAsync("rec-b"); // registered, but rec-b's key is not rec-a's

        ManifestCheck check = await UploadAndVerifyAsync(a, 0);

        Assert.Equal(BreakKind.UnknownKey, Assert.Single(check.Breaks).Kind);
        ChainBreakRecord recorded = Assert.Single(await _rig.Catalog.ListChainBreaksAsync(a.Camera, CancellationToken.None));
        Assert.Equal(("unknown_key", "manifests/rec-a~cam1/0000000000.manifest"), (recorded.Kind, recorded.ManifestObject));
        Assert.Empty(await _rig.Catalog.ListChainBreaksAsync(b.Camera, CancellationToken.None));
    }

    [Fact]
    public async Task Manifest_WhoseEntryDisagreesWithTheArchivedRecording_IsRecordedAltered_NamingTheRecording()
    {
        using Recorder a = await RecordAsync("rec-a", shaInChain: i => i == 1 ? new string('9', 64) : null!);
        using Recorder fixedUp = await RecordAsync("rec-b");

        ManifestCheck check = await UploadAndVerifyAsync(a, 0);

        ChainBreak altered = Assert.Single(check.Breaks);
        Assert.Equal((BreakKind.Altered, 1L), (altered.Kind, altered.Entry));
        Assert.Contains(RecordingId.For("rec-a", "cam1", 1, 1), altered.Detail, StringComparison.Ordinal);
        ChainBreakRecord recorded = Assert.Single(await _rig.Catalog.ListChainBreaksAsync(a.Camera, CancellationToken.None));
        Assert.Equal((a.Entries[1].Start, a.Entries[1].End), (recorded.From, recorded.To));
    }

    [Fact]
    public async Task Manifest_AheadOfItsSegments_IsComparedWithTheirAnnouncements_SoAnAlteredEntryIsFoundBeforeTheyAreArchived()
    {
        using Recorder a = await RecordAsync("rec-a", shaInChain: i => i == 1 ? new string('9', 64) : null!, archived: i => i == 0);

        ManifestCheck check = await UploadAndVerifyAsync(a, 0);

        ChainBreak altered = Assert.Single(check.Breaks);
        Assert.Equal((BreakKind.Altered, 1L), (altered.Kind, altered.Entry));
        Assert.Contains($"{RecordingId.For("rec-a", "cam1", 1, 1)} (announced)", altered.Detail, StringComparison.Ordinal);
        Assert.Equal(CloudState.Announced, (await _rig.Catalog.GetAsync(RecordingId.For("rec-a", "cam1", 1, 1), CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Manifest_ThatDoesNotFollowTheArchivedPredecessor_IsRecordedReSigned_AndFoundOnceFromEitherSide()
    {
        using Recorder a = await RecordAsync("rec-a");
        ChainManifest m = a.Manifests[1].Manifest;
        var detached = new ChainManifest(m.Camera, m.KeyFingerprint, m.Sequence, m.First, m.Last, m.Head, new string('c', 64), m.SignedAt);
        byte[] forged = ManifestFile.Of(SignedManifest.Sign(detached, a.Key), a.Entries.Skip(2)).ToBytes();

        ManifestCheck early = await UploadAndVerifyAsync(a, 1, forged); // before its predecessor: nothing to compare with yet
        ManifestCheck late = await UploadAndVerifyAsync(a, 0);

        Assert.Empty(early.Breaks);
        Assert.Equal(BreakKind.ReSigned, Assert.Single(late.Breaks).Kind);
        await _verifier.VerifyAsync(ObjectNames.Manifest(a.Camera, 1), CancellationToken.None); // its event again
        Assert.Equal("re_signed", Assert.Single(await _rig.Catalog.ListChainBreaksAsync(a.Camera, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task Manifest_Unreadable_IsRecordedAltered_AndStillKept()
    {
        using Recorder a = await RecordAsync("rec-a", segments: 2);

        ManifestCheck check = await UploadAndVerifyAsync(a, 0, "not a manifest\n"u8.ToArray());

        Assert.Equal(BreakKind.Altered, Assert.Single(check.Breaks).Kind);
        Assert.True(check.Archived);
        Assert.Equal("altered", Assert.Single(await _rig.Catalog.ListChainBreaksAsync(a.Camera, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task Sweep_ManifestsInStaging_AreNotOrphans_ButAStrayObjectStillIs()
    {
        using Recorder a = await RecordAsync("rec-a", segments: 2);
        await UploadAsync(a, 0);
        await _rig.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, "incoming/rec-a/notes.txt", "text/plain",
            Crc32C.ToBase64(Crc32C.Compute("hi"u8)), null, 0, new Dictionary<string, string>()), new MemoryStream("hi"u8.ToArray()), CancellationToken.None);
        _rig.Clock.Advance(TimeSpan.FromHours(1));

        Cctv.Functions.Reconcile.SweepReport report = await _rig.RunAsync();

        Assert.Equal(1, report.Orphans.Count);
        Assert.DoesNotContain("manifests/", System.Text.Json.JsonSerializer.Serialize(report.Orphans.Items), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("manifests/rec-a~cam1/1.manifest")]
    [InlineData("manifests/rec-a/0000000000.manifest")]
    [InlineData("manifests/rec-a~cam1/0000000000.mp4")]
    [InlineData("manifests/../rec-a~cam1/0000000000.manifest")]
    [InlineData("incoming/rec-a/cam1/0000000000.manifest")]
    public void Parse_NamesThatAreNotManifests_AreNone(string name) => Assert.Null(ManifestVerifier.Parse(name));

    [Fact]
    public async Task Timeline_ShowsTheRecordedBreak_OverItsFootage()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement seg = await host.RecordAsync("cam1", 0, "fragmented mp4"u8.ToArray());
        await host.WaitForStateAsync(seg.Id, CloudState.Archived);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256); // never registered for r1
        var camera = new CameraKey("r1", "cam1");
        static DateTimeOffset Ms(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds()); // recorder times are whole milliseconds
        ChainEntry entry = ChainEntry.NextSegment(camera, null, 1, 0, Ms(seg.StartTime), Ms(seg.EndTime), seg.FileSize, seg.Sha256);
        ChainManifest m = ChainManifest.Next(null, camera, EvidencePublicKey.Of(key).Fingerprint, entry, Ms(seg.EndTime));
        byte[] file = ManifestFile.Of(SignedManifest.Sign(m, key), [entry]).ToBytes();

        // Uploaded as a recorder does: the finalize event takes it to the verifier.
        await host.Backend.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, ObjectNames.Manifest(camera, 0), ManifestFile.ContentType,
            Crc32C.ToBase64(Crc32C.Compute(file)), null, 0, new Dictionary<string, string>()), new MemoryStream(file), CancellationToken.None);
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await host.Backend.Catalog.ListChainBreaksAsync(camera, CancellationToken.None)).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        string range = $"from={Uri.EscapeDataString(RecordingItem.Iso(host.Clock.GetUtcNow().AddMinutes(-11)))}&to={Uri.EscapeDataString(RecordingItem.Iso(host.Clock.GetUtcNow()))}";
        using HttpResponseMessage response = await host.Client.GetAsync($"/api/cameras/r1~cam1/timeline/?{range}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement shown = Assert.Single(json.RootElement.GetProperty("chain_breaks").EnumerateArray().ToArray());
        Assert.Equal("unknown_key", shown.GetProperty("kind").GetString());
        Assert.Equal(RecordingItem.Iso(entry.Start), shown.GetProperty("start_time").GetString());
    }
}
