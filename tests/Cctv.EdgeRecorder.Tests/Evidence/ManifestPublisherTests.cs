using System.Security.Cryptography;
using System.Text;
using Cctv.EdgeRecorder.Evidence;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Evidence;

/// <summary>
/// The recorder's side of the evidence chain against the embedded cloud: manifests signed on time, uploaded create-only
/// beside the segments, verifiable with the key the catalog registered. Two recorders both have a <c>cam1</c>.
/// </summary>
public sealed class ManifestPublisherTests : LocalCloudTest
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(T0);

    private PipelineRig Rig(string recorderId, IObjectStore? store = null) =>
        new(store ?? Backend.Store, LocalBackend.StagingBucket, Backend.Catalog, o => o.Id = recorderId, _clock);

    private static ManifestPublisher Publisher(PipelineRig rig) => rig.Context.CreateManifestPublisher(jitter: () => 0.5);

    private static OutboxSegment Seal(PipelineRig rig, int i) => rig.Seal(1000 + i, T0.AddSeconds(4 * i));

    /// <summary>Every manifest file of a camera in the staging bucket, in name order.</summary>
    private async Task<List<ManifestFile>> UploadedAsync(CameraKey camera)
    {
        var files = new List<ManifestFile>();
        await foreach (StoredObject o in Backend.Store.ListAsync(LocalBackend.StagingBucket, $"manifests/{camera}/", CancellationToken.None))
        {
            await using Stream s = await Backend.Store.OpenReadAsync(LocalBackend.StagingBucket, o.Name, CancellationToken.None);
            using var buffer = new MemoryStream();
            await s.CopyToAsync(buffer);
            files.Add(ManifestFile.Parse(buffer.ToArray()));
        }
        return files;
    }

    private async Task<ChainReport> VerifyAsync(PipelineRig rig, CameraKey camera, string keysOf)
    {
        List<ManifestFile> files = await UploadedAsync(camera);
        IReadOnlyList<RecorderKey> keys = await Backend.Catalog.ListRecorderKeysAsync(keysOf, CancellationToken.None);
        var segments = rig.Outbox.All().ToDictionary(s => s.Id);
        return ChainVerifier.Verify(new ChainEvidence(camera, files.Select(f => f.Manifest).ToList(), files.SelectMany(f => f.Entries).ToList(),
            keys.Select(k => EvidencePublicKey.FromBase64(k.PublicKey)).ToList(),
            e => segments.TryGetValue(e.RecordingId!, out OutboxSegment? s) && File.Exists(s.Path)
                ? new SegmentFacts(new FileInfo(s.Path).Length, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(s.Path))))
                : null));
    }

    /// <summary>A publisher that has signed the camera's first segment, and a second segment sealed since.</summary>
    private static async Task<ManifestPublisher> SignedFirstThenOneMoreAsync(PipelineRig rig)
    {
        ManifestPublisher publisher = Publisher(rig);
        Seal(rig, 0);
        await publisher.PublishAsync(upload: true, CancellationToken.None);
        Seal(rig, 1);
        return publisher;
    }

    [Fact]
    public async Task Publish_TwoRecordersWithACam1_EachManifestVerifiesWithItsOwnRegisteredKeyOnly()
    {
        using PipelineRig a = Rig("rec-a");
        using PipelineRig b = Rig("rec-b");
        Seal(a, 0);
        Seal(a, 1);
        Seal(b, 0);

        Assert.Equal(1, await Publisher(a).PublishAsync(upload: true, CancellationToken.None));
        Assert.Equal(1, await Publisher(b).PublishAsync(upload: true, CancellationToken.None));

        var camA = new CameraKey("rec-a", "cam1");
        var camB = new CameraKey("rec-b", "cam1");
        Assert.NotNull(await Backend.Store.GetAsync(LocalBackend.StagingBucket, "manifests/rec-a~cam1/0000000000.manifest", CancellationToken.None));
        Assert.NotNull(await Backend.Store.GetAsync(LocalBackend.StagingBucket, "manifests/rec-b~cam1/0000000000.manifest", CancellationToken.None));
        ChainReport ofA = await VerifyAsync(a, camA, keysOf: "rec-a");
        Assert.True(ofA.IsIntact, string.Join("\n", ofA.Breaks));
        Assert.Equal(2, ofA.Entries.Count);
        Assert.Equal(a.Context.Claims.Identity.Fingerprint, Assert.Single(ofA.Manifests).KeyFingerprint);
        ChainReport ofB = await VerifyAsync(b, camB, keysOf: "rec-b");
        Assert.True(ofB.IsIntact, string.Join("\n", ofB.Breaks));
        Assert.Single(ofB.Entries);

        ChainReport crossed = await VerifyAsync(a, camA, keysOf: "rec-b");
        Assert.Equal(BreakKind.UnknownKey, Assert.Single(crossed.Breaks).Kind);
    }

    [Fact]
    public async Task Publish_NewEntriesWithinTheInterval_WaitForTheMinuteThenAreSigned()
    {
        using PipelineRig a = Rig("rec-a");
        ManifestPublisher publisher = await SignedFirstThenOneMoreAsync(a);
        Seal(a, 2);

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await publisher.PublishAsync(upload: true, CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await publisher.PublishAsync(upload: true, CancellationToken.None));

        List<OutboxManifest> manifests = [.. a.Outbox.Manifests(new CameraKey("rec-a", "cam1"))];
        Assert.Equal([(0L, 0L), (1L, 2L)], manifests.Select(m => (m.First, m.Last)));
        ChainReport report = await VerifyAsync(a, new CameraKey("rec-a", "cam1"), "rec-a");
        Assert.True(report.IsIntact, string.Join("\n", report.Breaks));
        Assert.Equal(3, report.Entries.Count);
        Assert.Equal(0, report.UnsignedEntries);
    }

    [Fact]
    public async Task Publish_RunEnded_SignsItsLastSegmentAtOnce()
    {
        using PipelineRig a = Rig("rec-a");
        ManifestPublisher publisher = await SignedFirstThenOneMoreAsync(a);
        Assert.Equal(0, await publisher.PublishAsync(upload: true, CancellationToken.None)); // within the minute, and the run goes on
        a.Outbox.EndRun("cam1", a.Run.Run, "recording stopped");
        a.Outbox.MarkRunSealed("cam1", a.Run.Run);

        Assert.Equal(1, await publisher.PublishAsync(upload: true, CancellationToken.None)); // no time has passed

        Assert.Equal(1, a.Outbox.LastManifest(new CameraKey("rec-a", "cam1"))!.Last);
    }

    [Fact]
    public async Task Publish_RunEndedAndSealedByAnotherProcess_IsSignedWithinSecondsNotAtTheMinute()
    {
        using PipelineRig a = Rig("rec-a");
        ManifestPublisher publisher = await SignedFirstThenOneMoreAsync(a);
        Assert.Equal(0, await publisher.PublishAsync(upload: true, CancellationToken.None));
        // A sync command's own outbox on the same file ends and seals the run: this process's outbox saw no change of its own.
        var other = new OutboxStore(a.Context.Paths.Outbox, _clock);
        other.EndRun("cam1", a.Run.Run, "recording stopped");
        other.MarkRunSealed("cam1", a.Run.Run);

        _clock.Advance(OutboxStore.OpenRunsMaxAge);
        Assert.Equal(1, await publisher.PublishAsync(upload: true, CancellationToken.None));
        Assert.Equal(1, a.Outbox.LastManifest(new CameraKey("rec-a", "cam1"))!.Last);
    }

    [Fact]
    public async Task Upload_StoreFailsTransiently_ManifestStaysDueWithTheError_ThenGoesUpLater()
    {
        var store = new FailingStore(Backend.Store) { Failing = true };
        using PipelineRig a = Rig("rec-a", store);
        ManifestPublisher publisher = Publisher(a);
        Seal(a, 0);

        Assert.Equal(0, await publisher.PublishAsync(upload: true, CancellationToken.None));
        OutboxManifest failed = Assert.Single(a.Outbox.Manifests(new CameraKey("rec-a", "cam1")));
        Assert.Equal((OutboxStore.ManifestPending, 1), (failed.State, failed.Attempts));
        Assert.Contains("503", failed.LastError, StringComparison.Ordinal);
        Assert.Equal(1 + a.Context.Options.Upload.RetryAttempts, store.Attempts); // the quick retries, as for a segment
        Assert.Equal(0, await publisher.UploadDueAsync(CancellationToken.None)); // backing off: not due yet
        Assert.Equal(1 + a.Context.Options.Upload.RetryAttempts, store.Attempts);

        store.Failing = false;
        _clock.Advance(a.Context.Options.Upload.MaxBackoff * 2);
        Assert.Equal(1, await publisher.UploadDueAsync(CancellationToken.None));
        Assert.Equal(OutboxStore.ManifestUploaded, Assert.Single(a.Outbox.Manifests(new CameraKey("rec-a", "cam1"))).State);
    }

    [Fact]
    public async Task Upload_NameTakenByOtherBytes_IsNeverOverwritten()
    {
        using PipelineRig a = Rig("rec-a");
        byte[] other = Encoding.UTF8.GetBytes("not ours\n");
        await Backend.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, "manifests/rec-a~cam1/0000000000.manifest", "text/plain",
            Crc32C.ToBase64(Crc32C.Compute(other)), null, 0, new Dictionary<string, string>()), new MemoryStream(other), CancellationToken.None);
        Seal(a, 0);

        Assert.Equal(0, await Publisher(a).PublishAsync(upload: true, CancellationToken.None));

        Assert.Contains("not overwritten", Assert.Single(a.Outbox.Manifests(new CameraKey("rec-a", "cam1"))).LastError, StringComparison.Ordinal);
        await using Stream s = await Backend.Store.OpenReadAsync(LocalBackend.StagingBucket, "manifests/rec-a~cam1/0000000000.manifest", CancellationToken.None);
        Assert.Equal("not ours\n", await new StreamReader(s).ReadToEndAsync());
    }

    [Fact]
    public async Task Upload_KeyNotRegistered_ManifestWaits()
    {
        // Another installation holds rec-a: this one's key is never registered, so its manifests never go up.
        await Backend.Catalog.ClaimRecorderAsync(new RecorderClaim("rec-a", new string('f', 64), null, null, null, T0), CancellationToken.None);
        using PipelineRig a = Rig("rec-a");
        Seal(a, 0);

        Assert.Equal(0, await Publisher(a).PublishAsync(upload: true, CancellationToken.None));

        Assert.Equal(OutboxStore.ManifestPending, Assert.Single(a.Outbox.Manifests(new CameraKey("rec-a", "cam1"))).State);
        Assert.Empty(await UploadedAsync(new CameraKey("rec-a", "cam1")));
        Assert.Empty(await Backend.Catalog.ListRecorderKeysAsync("rec-a", CancellationToken.None));
    }

    /// <summary>A real store whose uploads fail with a 503 while <see cref="Failing"/>.</summary>
    private sealed class FailingStore(IObjectStore inner) : IObjectStore
    {
        private int _attempts;

        public bool Failing { get; set; }

        public int Attempts => _attempts;

        public Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            return Failing
                ? throw new ObjectStoreException(ObjectStoreError.Transient, "503 Service Unavailable")
                : inner.UploadAsync(request, content, cancellationToken);
        }

        public Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken) => inner.GetAsync(bucket, name, cancellationToken);

        public Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
            long? ifGenerationMatch, CancellationToken cancellationToken) =>
            inner.CopyAsync(sourceBucket, sourceName, ifSourceGenerationMatch, destinationBucket, destinationName, ifGenerationMatch, cancellationToken);

        public Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken) =>
            inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);

        public IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListAsync(bucket, prefix, cancellationToken);

        public Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken) => inner.OpenReadAsync(bucket, name, cancellationToken);

        public Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken) =>
            inner.SetEventBasedHoldAsync(bucket, name, hold, cancellationToken);
    }
}
