using System.Text;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Local;

public sealed class LocalObjectStoreTests : IDisposable
{
    private readonly TempDir _dir = new("store");
    private readonly LocalEventSpool _events;
    private readonly LocalObjectStore _store;

    public LocalObjectStoreTests()
    {
        _events = new LocalEventSpool(_dir.Combine("events"), TimeProvider.System);
        _store = new LocalObjectStore(_dir.Combine("buckets"), TimeProvider.System, _events, ["staging"]);
    }

    public void Dispose() => _dir.Dispose();

    private static UploadRequest Request(string name, byte[] data, long? ifGenerationMatch = 0, string? crc = null) =>
        new("staging", name, "video/mp4", crc ?? Crc32C.ToBase64(Crc32C.Compute(data)), null, ifGenerationMatch, new Dictionary<string, string> { ["k"] = "v" });

    [Fact]
    public async Task Get_RacingADelete_AnswersTheObjectOrNothing_NeverAnError()
    {
        // A reader that finds the data file, then no metadata (the delete removed it first), must look again under the
        // lock: by then the delete has removed the data too. Before, it tried to repair the vanished file and threw.
        byte[] data = Encoding.UTF8.GetBytes("raced segment");
        for (int i = 0; i < 150; i++)
        {
            string name = $"race/{i}.mp4";
            await _store.UploadAsync(Request(name, data), new MemoryStream(data), CancellationToken.None);
            Task<bool> delete = Task.Run(() => _store.DeleteAsync("staging", name, null, CancellationToken.None));
            for (int reads = 0; !delete.IsCompleted && reads < 10_000; reads++)
            {
                StoredObject? seen = await _store.GetAsync("staging", name, CancellationToken.None);
                Assert.True(seen is null || seen.Size == data.Length);
            }
            Assert.True(await delete);
            Assert.Null(await _store.GetAsync("staging", name, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Upload_CreateOnly_StoresBytesAndMetadataAndQueuesOneFinalizeEvent()
    {
        byte[] data = Encoding.UTF8.GetBytes("segment bytes");
        StoredObject stored = await _store.UploadAsync(Request("a/b.mp4", data), new MemoryStream(data), CancellationToken.None);

        Assert.Equal(data.Length, stored.Size);
        StoredObject? read = await _store.GetAsync("staging", "a/b.mp4", CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(stored, read with { Metadata = stored.Metadata });
        Assert.Equal("v", read.Metadata["k"]);
        await using Stream stream = await _store.OpenReadAsync("staging", "a/b.mp4", CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        PendingEvent pending = Assert.Single(_events.Pending(10));
        Assert.Equal($"staging/a/b.mp4/{stored.Generation}", pending.Event.Id);
    }

    [Fact]
    public async Task Upload_WhenObjectExists_WithGenerationZero_FailsThePreconditionAndKeepsTheOriginal()
    {
        byte[] first = Encoding.UTF8.GetBytes("first");
        byte[] second = Encoding.UTF8.GetBytes("second");
        StoredObject original = await _store.UploadAsync(Request("x.mp4", first), new MemoryStream(first), CancellationToken.None);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.UploadAsync(Request("x.mp4", second), new MemoryStream(second), CancellationToken.None));

        Assert.Equal(ObjectStoreError.PreconditionFailed, e.Error);
        Assert.Equal(original.Crc32C, (await _store.GetAsync("staging", "x.mp4", CancellationToken.None))!.Crc32C);
    }

    [Fact]
    public async Task Upload_BytesNotMatchingTheExpectedCrc32C_AreRefusedAndNothingIsStored()
    {
        byte[] data = Encoding.UTF8.GetBytes("corrupted in transit");
        var e = await Assert.ThrowsAsync<ObjectStoreException>(() =>
            _store.UploadAsync(Request("c.mp4", data, crc: Crc32C.ToBase64(12345)), new MemoryStream(data), CancellationToken.None));

        Assert.Equal(ObjectStoreError.ChecksumMismatch, e.Error);
        Assert.Null(await _store.GetAsync("staging", "c.mp4", CancellationToken.None));
        Assert.Empty(_events.Pending(10));
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("buckets", "staging", "tmp")));
    }

    [Fact]
    public async Task Overwrite_GivesAStrictlyHigherGeneration_AndDeleteHonoursTheGenerationPrecondition()
    {
        byte[] a = [1, 2, 3];
        byte[] b = [4, 5, 6];
        StoredObject first = await _store.UploadAsync(Request("g.mp4", a, ifGenerationMatch: null), new MemoryStream(a), CancellationToken.None);
        StoredObject second = await _store.UploadAsync(Request("g.mp4", b, ifGenerationMatch: first.Generation), new MemoryStream(b), CancellationToken.None);
        Assert.True(second.Generation > first.Generation);

        var stale = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.DeleteAsync("staging", "g.mp4", first.Generation, CancellationToken.None));
        Assert.Equal(ObjectStoreError.PreconditionFailed, stale.Error);
        Assert.True(await _store.DeleteAsync("staging", "g.mp4", second.Generation, CancellationToken.None));
        Assert.False(await _store.DeleteAsync("staging", "g.mp4", null, CancellationToken.None));
    }

    [Fact]
    public async Task Copy_ToAnotherBucket_KeepsChecksumsAndRaisesNoEventThere()
    {
        byte[] data = Encoding.UTF8.GetBytes("to archive");
        await _store.UploadAsync(Request("in/x.mp4", data), new MemoryStream(data), CancellationToken.None);
        StoredObject copy = await _store.CopyAsync("staging", "in/x.mp4", null, "archive", "out/x.mp4", 0, CancellationToken.None);

        Assert.Equal(Crc32C.ToBase64(Crc32C.Compute(data)), copy.Crc32C);
        Assert.Single(_events.Pending(10));
        var again = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.CopyAsync("staging", "in/x.mp4", null, "archive", "out/x.mp4", 0, CancellationToken.None));
        Assert.Equal(ObjectStoreError.PreconditionFailed, again.Error);
    }

    [Fact]
    public async Task List_ReturnsObjectsUnderThePrefixInNameOrder()
    {
        foreach (string name in (string[])["p/b", "p/a", "q/c"])
        {
            byte[] data = Encoding.UTF8.GetBytes(name);
            await _store.UploadAsync(Request(name, data), new MemoryStream(data), CancellationToken.None);
        }
        var names = new List<string>();
        await foreach (StoredObject o in _store.ListAsync("staging", "p/", CancellationToken.None))
        {
            names.Add(o.Name);
        }
        Assert.Equal(["p/a", "p/b"], names);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    public async Task ObjectNames_ThatCouldLeaveTheBucketDirectory_AreRefused(string name)
    {
        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.GetAsync("staging", name, CancellationToken.None));
        Assert.Equal(ObjectStoreError.Permanent, e.Error);
    }

    [Fact]
    public async Task DataWithoutMetadata_AfterACrashBetweenRenames_IsRepairedFromTheBytes()
    {
        byte[] data = Encoding.UTF8.GetBytes("crash");
        await _store.UploadAsync(Request("r.mp4", data), new MemoryStream(data), CancellationToken.None);
        File.Delete(_dir.Combine("buckets", "staging", "m", "r.mp4.json"));

        StoredObject? repaired = await _store.GetAsync("staging", "r.mp4", CancellationToken.None);

        Assert.NotNull(repaired);
        Assert.Equal(Crc32C.ToBase64(Crc32C.Compute(data)), repaired.Crc32C);
        Assert.Equal(data.Length, repaired.Size);
    }
}
