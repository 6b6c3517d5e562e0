using System.Security.Cryptography;
using Cctv.EdgeRecorder.Evidence;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The evidence chain on the gcp backend: the recorder's key registered in the Firestore emulator, its signed manifests
/// uploaded to the test GCS server's staging bucket, delivered by Eventarc to the finalize function, kept in the archive
/// and checked there against the registered key and the archived recordings; a forged manifest recorded as a break.
/// </summary>
[Collection(EmulatorsCollection.Name)]
[Trait("Category", "Slow")]
public sealed class EvidenceChainGcpTests(EmulatorsFixture emulators)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly CameraKey Gate = new(EdgeSite.RecorderId, EdgeSite.Camera);

    [Fact]
    public async Task Manifests_AreArchivedAndVerifiedAgainstTheFirestoreKey_AndAForgedOneIsRecordedAsABreak()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        using var edge = new EdgeSite(stack.Store, GcpStack.Staging, stack.Catalog);
        OutboxSegment[] segments = [.. Enumerable.Range(0, 3).Select(_ => edge.Seal(200_000))];
        await edge.AnnounceAsync(); // claims the recorder ID, which registers the installation's key
        Assert.True(await edge.SyncUntilVerifiedAsync(Patience), string.Join(", ", edge.Outbox.All().Select(x => $"{x.Sequence}:{x.State}")));

        ManifestPublisher publisher = edge.Context.CreateManifestPublisher();
        Assert.Equal(1, await publisher.PublishAsync(upload: true, None));
        await stack.Eventarc.WaitIdleAsync(Patience);

        // The key in Firestore is the installation's, the manifest is in the archive, and the cloud found nothing wrong.
        RecorderKey registered = Assert.Single(await stack.Catalog.ListRecorderKeysAsync(EdgeSite.RecorderId, None));
        Assert.Equal(edge.Context.Claims.Identity.Fingerprint, registered.Fingerprint);
        string archivedName = ObjectNames.Manifest(Gate, 0);
        Cctv.Testing.Gcs.TestObject archived = stack.Gcs.Find(GcpStack.ArchiveBucket, archivedName)
            ?? throw new Xunit.Sdk.XunitException($"{archivedName} is not in the archive: {string.Join(", ", stack.Gcs.Objects(GcpStack.ArchiveBucket).Select(o => o.Name))}");
        Assert.Empty(await stack.Catalog.ListChainBreaksAsync(Gate, None));

        // Offline, the archived manifest verifies with the registered key over the archived recordings' bytes.
        ManifestFile file = ManifestFile.Parse(archived.Bytes.Span);
        var recordings = (await stack.Catalog.GetManyAsync(segments.Select(s => s.Id).ToList(), None)).ToDictionary(r => r.Id);
        ChainReport report = ChainVerifier.Verify(new ChainEvidence(Gate, [file.Manifest], file.Entries, [EvidencePublicKey.FromBase64(registered.PublicKey)],
            e => recordings.TryGetValue(e.RecordingId!, out Recording? r) && stack.Gcs.Find(GcpStack.ArchiveBucket, r.ArchiveObject!) is { } o
                ? new SegmentFacts(o.Bytes.Length, Convert.ToHexStringLower(SHA256.HashData(o.Bytes.Span)))
                : null));
        Assert.True(report.IsIntact, string.Join("; ", report.Breaks));
        Assert.Equal(segments.Length, report.Entries.Count(e => e.Kind == ChainEntryKind.Segment));

        // The next manifest, signed by a key nobody registered, is kept and recorded as a break, not repaired.
        using ECDsa forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ChainEntry head = edge.Outbox.ChainHead(Gate)!;
        ChainEntry next = ChainEntry.NextSegment(Gate, head, segments[^1].Run, segments[^1].Sequence + 1, head.End, head.End.AddSeconds(4), 1000, new string('b', 64));
        ChainManifest previous = ChainManifest.TryParse(file.Manifest.Bytes, out _)!;
        ChainManifest forged = ChainManifest.Next(previous, Gate, EvidencePublicKey.Of(forger).Fingerprint, next,
            DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        byte[] bytes = ManifestFile.Of(SignedManifest.Sign(forged, forger), [next]).ToBytes();
        await stack.Store.UploadAsync(new UploadRequest(GcpStack.Staging, ObjectNames.Manifest(Gate, 1), ManifestFile.ContentType,
            Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0, new Dictionary<string, string>()), new MemoryStream(bytes), None);
        await stack.Eventarc.WaitIdleAsync(Patience);

        IReadOnlyList<ChainBreakRecord> breaks = await stack.Catalog.ListChainBreaksAsync(Gate, None);
        Assert.Contains(breaks, b => (b.Kind, b.ManifestObject) == ("unknown_key", ObjectNames.Manifest(Gate, 1)));
        Assert.All(breaks, b => Assert.Equal(ObjectNames.Manifest(Gate, 1), b.ManifestObject));
        Assert.NotNull(stack.Gcs.Find(GcpStack.ArchiveBucket, ObjectNames.Manifest(Gate, 1)));
    }
}
