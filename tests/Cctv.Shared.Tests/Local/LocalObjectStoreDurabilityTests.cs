using System.Collections.Concurrent;
using System.Text;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Local;

/// <summary>What survives a power cut or a damaged file in the embedded store: fsync order, repair, quarantine.</summary>
public sealed class LocalObjectStoreDurabilityTests : IDisposable
{
    private readonly TempDir _dir = new("durable");
    private readonly ConcurrentQueue<string> _reports = new();
    private readonly ConcurrentQueue<string> _synced = new();
    private readonly LocalObjectStore _store;

    public LocalObjectStoreDurabilityTests()
    {
        _store = new LocalObjectStore(_dir.Combine("buckets"), TimeProvider.System, report: _reports.Enqueue);
        Durability.Synced += OnSynced;
    }

    public void Dispose()
    {
        Durability.Synced -= OnSynced;
        _dir.Dispose();
    }

    // Other tests fsync too, in parallel: only this test's directory counts.
    private void OnSynced(string path)
    {
        if (path.StartsWith(_dir.Path, StringComparison.Ordinal))
        {
            _synced.Enqueue(path);
            if (File.Exists(path))
            {
                _syncedWithTime.Enqueue((path, File.GetLastWriteTimeUtc(path), new FileInfo(path).Length));
            }
        }
    }

    /// <summary>Each file synced, with its modification time and length at that moment.</summary>
    private readonly ConcurrentQueue<(string Path, DateTime Written, long Length)> _syncedWithTime = new();

    private Task<StoredObject> UploadAsync(string name, string text)
    {
        byte[] data = Encoding.UTF8.GetBytes(text);
        return _store.UploadAsync(new UploadRequest("staging", name, "video/mp4", Crc32C.ToBase64(Crc32C.Compute(data)), null, null,
            new Dictionary<string, string>()), new MemoryStream(data), CancellationToken.None);
    }

    private string MetadataPath(string name) => _dir.Combine(["buckets", "staging", "m", .. (name + ".json").Split('/')]);

    [Fact]
    public async Task Commit_FsyncsEachRenamedFileThenItsDirectory_ThenWalksUpThroughEveryFolderItCreated()
    {
        Assert.True(OperatingSystem.IsLinux(), "directory fsync exists on Linux only; this test needs it");
        await UploadAsync("a/b/c.mp4", "bytes");

        string bucket = _dir.Combine("buckets", "staging");
        string[] sequence = [.. _synced];
        string[] expectedTail =
        [
            Path.Combine(bucket, "o", "a", "b"), Path.Combine(bucket, "o", "a"), Path.Combine(bucket, "o"), bucket,
            Path.Combine(bucket, "m", "a", "b", "c.mp4.json.tmp"),
            Path.Combine(bucket, "m", "a", "b"), Path.Combine(bucket, "m", "a"), Path.Combine(bucket, "m"), bucket,
        ];
        Assert.Equal(expectedTail, sequence[^expectedTail.Length..]);
        // Before the data's directory: the data file itself (in the bucket's tmp folder, with its generation as its time), and the new bucket's own entry.
        string[] before = sequence[..^expectedTail.Length];
        Assert.StartsWith(Path.Combine(bucket, "tmp") + Path.DirectorySeparatorChar, before[^1], StringComparison.Ordinal);
        Assert.Contains(_dir.Combine("buckets"), before);
    }

    [Fact]
    public async Task AppendSession_IsDurableWhenStarted_EachAppendWhenConfirmed_AndTheObjectsBytesAreSyncedWithTheirGenerationAsTheirTime()
    {
        Assert.True(OperatingSystem.IsLinux(), "directory fsync exists on Linux only; this test needs it");
        Uri session = await _store.StartAsync(new AppendSessionRequest("staging", "cam/live.mp4", "video/mp4", 0, new Dictionary<string, string>()),
            CancellationToken.None);
        string sessions = _dir.Combine("buckets", ".sessions");
        string folder = Path.Combine(sessions, session.AbsolutePath[1..]);
        // The state file, then its folder, then the folder that holds the folder, then that one's parent (it was new too).
        Assert.Equal([Path.Combine(folder, "session.json"), folder, sessions, _dir.Combine("buckets")], _synced.Where(p => p.StartsWith(sessions, StringComparison.Ordinal) || p == _dir.Combine("buckets")));

        byte[] bytes = Encoding.UTF8.GetBytes("first bytes, then the rest");
        _syncedWithTime.Clear();
        Assert.Equal(11, await _store.AppendAsync(session, 0, bytes.AsMemory(0, 11), CancellationToken.None));
        Assert.Contains((Path.Combine(folder, "data"), 11L), _syncedWithTime.Select(s => (s.Path, s.Length)));

        _syncedWithTime.Clear();
        StoredObject stored = await _store.FinishAsync(session, new MemoryStream(bytes), Crc32C.ToBase64(Crc32C.Compute(bytes)), 11, CancellationToken.None);
        // The whole object is synced once its time carries the generation (what a repair after a lost metadata file reads back).
        (string _, DateTime written, long length) = Assert.Single(_syncedWithTime, s => s.Path == Path.Combine(folder, "data"));
        Assert.Equal((DateTime.UnixEpoch.AddTicks(stored.Generation * 10), (long)bytes.Length), (written, length));
    }

    [Fact]
    public async Task Repair_AfterTheMetadataWasLost_KeepsTheGeneration_SoAGenerationMatchedDeleteStillWorks()
    {
        StoredObject stored = await UploadAsync("r.mp4", "archived footage");
        File.Delete(MetadataPath("r.mp4"));

        StoredObject repaired = (await _store.GetAsync("staging", "r.mp4", CancellationToken.None))!;

        Assert.Equal((stored.Generation, stored.Crc32C, stored.Size), (repaired.Generation, repaired.Crc32C, repaired.Size));
        Assert.True(await _store.DeleteAsync("staging", "r.mp4", stored.Generation, CancellationToken.None));
    }

    [Fact]
    public async Task CorruptMetadata_IsQuarantinedAndReported_TheObjectRepairedWithItsGeneration_AndTheListingGoesOn()
    {
        StoredObject first = await UploadAsync("cam/1.mp4", "one");
        StoredObject second = await UploadAsync("cam/2.mp4", "two");
        StoredObject third = await UploadAsync("cam/3.mp4", "three");
        await File.WriteAllTextAsync(MetadataPath("cam/2.mp4"), "{\"bucket\": \"staging\", \"generation\": tru");

        var listed = new List<StoredObject>();
        await foreach (StoredObject o in _store.ListAsync("staging", "cam/", CancellationToken.None))
        {
            listed.Add(o);
        }

        Assert.Equal([first.Generation, second.Generation, third.Generation], listed.Select(o => o.Generation));
        Assert.Equal(second.Crc32C, listed[1].Crc32C);
        string report = Assert.Single(_reports);
        Assert.Contains("gs://staging/cam/2.mp4", report, StringComparison.Ordinal);
        string aside = Assert.Single(Directory.GetFiles(_dir.Combine("buckets", "staging", "quarantine"), "*", SearchOption.AllDirectories));
        Assert.Equal("{\"bucket\": \"staging\", \"generation\": tru", await File.ReadAllTextAsync(aside));
        Assert.True(await _store.DeleteAsync("staging", "cam/2.mp4", second.Generation, CancellationToken.None));
    }

    [Fact]
    public async Task MetadataThatIsValidJsonButNotAnObject_IsQuarantinedToo_NeverAnError()
    {
        StoredObject stored = await UploadAsync("x.mp4", "x");
        await File.WriteAllTextAsync(MetadataPath("x.mp4"), "{}");

        StoredObject repaired = (await _store.GetAsync("staging", "x.mp4", CancellationToken.None))!;

        Assert.Equal(stored.Generation, repaired.Generation);
        Assert.Single(_reports);
    }
}
