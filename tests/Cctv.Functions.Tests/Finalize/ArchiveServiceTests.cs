using System.Text;
using Cctv.Functions.Finalize;
using Cctv.Functions.Tests.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.Functions.Tests.Finalize;

/// <summary>
/// Finalize when something changes under it, step by step: the store runs a test's step right after finalize read an
/// object (or copied one), so the interleaving is exact, not timed.
/// </summary>
public sealed class ArchiveServiceTests : IDisposable
{
    private readonly SweepRig _rig = new();
    private readonly HookedObjectStore _store;
    private readonly ArchiveService _archive;

    public ArchiveServiceTests()
    {
        _store = new HookedObjectStore(_rig.Store);
        _archive = new ArchiveService(_store, _rig.Catalog, new BucketNames(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket), NullLogger<ArchiveService>.Instance);
    }

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task RecordingDeclaredLostAfterFinalizeReadIt_TheRefusedStagedTransitionStopsFinalize_NothingIsArchived()
    {
        RecordingAnnouncement a = await _rig.RecordAsync("cam1", 0);
        _store.AfterGet = async (bucket, _) =>
        {
            if (bucket == LocalBackend.StagingBucket)
            {
                Assert.Equal(TransitionOutcome.Applied, await _rig.Catalog.MarkLostAsync(a.Id, "lost on the recorder", CancellationToken.None));
            }
        };

        Assert.Equal(ArchiveOutcome.Ignored, await _archive.ProcessAsync(a.StagingObject, CancellationToken.None));

        Assert.Equal(CloudState.Lost, await _rig.StateAsync(a));
        Assert.Empty(await _rig.NamesAsync(LocalBackend.ArchiveBucket));
    }

    [Fact]
    public async Task AnExpiredRecordingSentAgain_IsNeverArchivedAgain_AndTheStagedCopyIsRemoved()
    {
        RecordingAnnouncement a = await _rig.RecordAsync("cam1", 0);
        Assert.Equal(ArchiveOutcome.Archived, await _archive.ProcessAsync(a.StagingObject, CancellationToken.None));
        Recording archived = (await _rig.Catalog.GetAsync(a.Id, CancellationToken.None))!;
        await _rig.Catalog.MarkExpiredAsync(a.Id, "retention: 30 days", CancellationToken.None);
        await _rig.Store.DeleteAsync(LocalBackend.ArchiveBucket, archived.ArchiveObject!, archived.ArchiveGeneration, CancellationToken.None);
        await _rig.RecordAsync("cam1", 0, announce: false); // the edge sends it again (ensure-uploads --force of an earlier version)

        Assert.Equal(ArchiveOutcome.Ignored, await _archive.ProcessAsync(a.StagingObject, CancellationToken.None));

        Assert.Equal(CloudState.Expired, await _rig.StateAsync(a));
        Assert.Empty(await _rig.NamesAsync(LocalBackend.ArchiveBucket));
        Assert.Empty(await _rig.NamesAsync(LocalBackend.StagingBucket));
    }

    [Fact]
    public async Task StagedObjectReplacedAfterItWasVerified_TheCopyTakesOnlyTheVerifiedGeneration_SoNothingElseIsArchived()
    {
        RecordingAnnouncement a = await _rig.RecordAsync("cam1", 0);
        _store.AfterGet = async (bucket, name) =>
        {
            if (bucket == LocalBackend.StagingBucket && name == a.StagingObject)
            {
                _store.AfterGet = null;
                await UploadAsync(LocalBackend.StagingBucket, a.StagingObject, "other footage, same name", ifGenerationMatch: null);
            }
        };

        Assert.Equal(ArchiveOutcome.ObjectGone, await _archive.ProcessAsync(a.StagingObject, CancellationToken.None));

        Assert.Equal(CloudState.Staged, await _rig.StateAsync(a));
        Assert.Empty(await _rig.NamesAsync(LocalBackend.ArchiveBucket));
    }

    [Fact]
    public async Task ACopyThatDoesNotMatchTheAnnouncement_IsNotMarkedArchived()
    {
        RecordingAnnouncement a = await _rig.RecordAsync("cam1", 0);
        _store.AfterCopy = async copied => await UploadAsync(copied.Bucket, copied.Name, "not what was announced", ifGenerationMatch: copied.Generation);

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => _archive.ProcessAsync(a.StagingObject, CancellationToken.None));

        Assert.Contains("announced", e.Message, StringComparison.Ordinal);
        Assert.Equal(CloudState.Staged, await _rig.StateAsync(a));
        Assert.NotNull(await _rig.Store.GetAsync(LocalBackend.StagingBucket, a.StagingObject, CancellationToken.None));
    }

    private async Task<StoredObject> UploadAsync(string bucket, string name, string text, long? ifGenerationMatch)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        SegmentDigest d = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        return await _rig.Store.UploadAsync(new UploadRequest(bucket, name, "video/mp4", d.Crc32CBase64, d.Md5, ifGenerationMatch,
            new Dictionary<string, string> { [ObjectMetadata.Sha256] = d.Sha256 }), new MemoryStream(bytes), CancellationToken.None);
    }

    /// <summary>A real store that runs a test's step right after a read or a copy.</summary>
    private sealed class HookedObjectStore(IObjectStore inner) : IObjectStore
    {
        public Func<string, string, Task>? AfterGet { get; set; }

        public Func<StoredObject, Task<StoredObject>>? AfterCopy { get; set; }

        public async Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken)
        {
            StoredObject? found = await inner.GetAsync(bucket, name, cancellationToken);
            if (AfterGet is { } step)
            {
                await step(bucket, name);
            }
            return found;
        }

        public async Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
            long? ifGenerationMatch, CancellationToken cancellationToken)
        {
            StoredObject copied = await inner.CopyAsync(sourceBucket, sourceName, ifSourceGenerationMatch, destinationBucket, destinationName, ifGenerationMatch, cancellationToken);
            return AfterCopy is { } step ? await step(copied) : copied;
        }

        public Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken) => inner.UploadAsync(request, content, cancellationToken);

        public Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken) =>
            inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);

        public IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListAsync(bucket, prefix, cancellationToken);

        public Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken) => inner.OpenReadAsync(bucket, name, cancellationToken);

        public Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken) =>
            inner.SetEventBasedHoldAsync(bucket, name, hold, cancellationToken);
    }
}
