using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.Storage;

/// <summary>Event-based holds through the adapter: objects.patch with eventBasedHold, and the server's 403 for a held object.</summary>
public sealed partial class GcsObjectStoreTests
{
    [Fact]
    public async Task EventBasedHold_IsPatchedOnTheObject_AndTheServerRefusesToDeleteOrOverwriteItUntilReleased()
    {
        var (path, bytes, request) = Segment("recordings/rec-a/cam1/0.mp4", 1000);
        StoredObject put = await UploadAsync(_store, path, request);
        var (otherPath, _, other) = Segment("recordings/rec-b/cam1/0.mp4", 1000);
        await UploadAsync(_store, otherPath, other);

        StoredObject held = await _store.SetEventBasedHoldAsync(Bucket, put.Name, true, CancellationToken.None);

        Assert.True(held.EventBasedHold);
        Assert.True(_server.Find(Bucket, put.Name)!.EventBasedHold);
        Assert.True((await _store.GetAsync(Bucket, put.Name, CancellationToken.None))!.EventBasedHold);
        Assert.Equal(put.Generation, held.Generation);
        ObjectStoreException deleted = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.DeleteAsync(Bucket, put.Name, null, CancellationToken.None));
        Assert.Equal(ObjectStoreError.Permanent, deleted.Error);
        Assert.Contains("hold", deleted.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(_store, path, request with { IfGenerationMatch = null }));
        Assert.Equal(bytes, _server.Find(Bucket, put.Name)!.Bytes.ToArray());
        Assert.False(_server.Find(Bucket, other.Name)!.EventBasedHold);

        StoredObject released = await _store.SetEventBasedHoldAsync(Bucket, put.Name, false, CancellationToken.None);

        Assert.False(released.EventBasedHold);
        Assert.True(await _store.DeleteAsync(Bucket, put.Name, put.Generation, CancellationToken.None));
    }

    [Fact]
    public async Task EventBasedHold_OfAnObjectThatIsNotThere_IsNotFound()
    {
        ObjectStoreException e = await Assert.ThrowsAsync<ObjectStoreException>(() =>
            _store.SetEventBasedHoldAsync(Bucket, "recordings/none.mp4", true, CancellationToken.None));

        Assert.Equal(ObjectStoreError.NotFound, e.Error);
    }
}
