using System.Text;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Local;

/// <summary>The embedded store's event-based holds: what Cloud Storage refuses for a held object, it refuses too.</summary>
public sealed class LocalObjectStoreHoldTests : IDisposable
{
    private const string Bucket = "archive";
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDir _dir = new("store-holds");
    private readonly LocalObjectStore _store;

    public LocalObjectStoreHoldTests() => _store = new LocalObjectStore(_dir.Combine("buckets"), TimeProvider.System);

    public void Dispose() => _dir.Dispose();

    private async Task<StoredObject> PutAsync(string name, string text, long? ifGenerationMatch = 0)
    {
        byte[] data = Encoding.UTF8.GetBytes(text);
        return await _store.UploadAsync(new UploadRequest(Bucket, name, "video/mp4", Crc32C.ToBase64(Crc32C.Compute(data)), null, ifGenerationMatch,
            new Dictionary<string, string>()), new MemoryStream(data), None);
    }

    [Fact]
    public async Task AHeldObject_CannotBeDeletedOrOverwritten_InThisProcessOrAnother_UntilReleased()
    {
        StoredObject put = await PutAsync("recordings/rec-a/cam1/0.mp4", "footage of site-a");
        await PutAsync("recordings/rec-b/cam1/0.mp4", "footage of site-b");

        StoredObject held = await _store.SetEventBasedHoldAsync(Bucket, put.Name, true, None);
        StoredObject again = await _store.SetEventBasedHoldAsync(Bucket, put.Name, true, None);
        var reopened = new LocalObjectStore(_dir.Combine("buckets"), TimeProvider.System);

        Assert.True(held.EventBasedHold);
        Assert.Equal(put.Generation, again.Generation);
        Assert.True((await reopened.GetAsync(Bucket, put.Name, None))!.EventBasedHold);
        ObjectStoreException deleted = await Assert.ThrowsAsync<ObjectStoreException>(() => reopened.DeleteAsync(Bucket, put.Name, null, None));
        Assert.Equal(ObjectStoreError.Permanent, deleted.Error);
        Assert.Contains("hold", deleted.Message);
        await Assert.ThrowsAsync<ObjectStoreException>(() => PutAsync(put.Name, "other bytes", ifGenerationMatch: put.Generation));
        await Assert.ThrowsAsync<ObjectStoreException>(() => PutAsync(put.Name, "other bytes", ifGenerationMatch: null));
        Assert.Equal("footage of site-a", await new StreamReader(await _store.OpenReadAsync(Bucket, put.Name, None)).ReadToEndAsync());
        // Site B's cam1 is another object: not held.
        Assert.True(await _store.DeleteAsync(Bucket, "recordings/rec-b/cam1/0.mp4", null, None));

        Assert.False((await _store.SetEventBasedHoldAsync(Bucket, put.Name, false, None)).EventBasedHold);
        Assert.True(await reopened.DeleteAsync(Bucket, put.Name, put.Generation, None));
    }

    [Fact]
    public async Task HoldingAnObjectThatIsNotThere_IsNotFound()
    {
        ObjectStoreException e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.SetEventBasedHoldAsync(Bucket, "recordings/none.mp4", true, None));

        Assert.Equal(ObjectStoreError.NotFound, e.Error);
    }
}
