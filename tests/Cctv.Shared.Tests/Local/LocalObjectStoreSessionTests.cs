using System.Security.Cryptography;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Cctv.TestSupport.Stores;

namespace Cctv.Shared.Tests.Local;

/// <summary>The append-session contract (<see cref="AppendSessionsContractTests"/>) on the embedded store, and what only it has.</summary>
public sealed class LocalObjectStoreSessionTests : AppendSessionsContractTests, IDisposable
{
    private readonly TempDir _dir = new("sessions");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 1, 15, 3, 14, 0, TimeSpan.Zero));
    private readonly LocalEventSpool _events;
    private readonly LocalObjectStore _store;

    public LocalObjectStoreSessionTests()
    {
        _events = new LocalEventSpool(_dir.Combine("events"), _clock);
        _store = NewStore();
    }

    public void Dispose() => _dir.Dispose();

    protected override IAppendSessions Sessions => _store;

    protected override IObjectStore Objects => _store;

    protected override Task<IAppendSessions> ReopenAsync() => Task.FromResult<IAppendSessions>(NewStore());

    private LocalObjectStore NewStore() => new(_dir.Combine("buckets"), _clock, _events, [Bucket]);

    protected override IEnumerable<Uri> ForgedSessions(Uri genuine)
    {
        string id = genuine.AbsolutePath[1..];
        yield return new Uri("cctv-local://append-session/" + Guid.NewGuid().ToString("N")); // well formed, never started
        yield return new Uri("cctv-local://append-session/..%2F..%2Fstaging%2Fo");
        yield return new Uri("cctv-local://append-session/" + id + "/../../staging");
        yield return new Uri("cctv-local://append-session/" + id.ToUpperInvariant());
        yield return new Uri("cctv-local://append-session/" + id + "?x=1");
        yield return new Uri("cctv-local://other-host/" + id);
        yield return new Uri("file:///etc/passwd");
        yield return new Uri("https://storage.googleapis.com/upload/storage/v1/b/staging/o?uploadType=resumable&upload_id=" + id);
    }

    [Fact]
    public async Task Finish_QueuesOneFinalizeEvent_ForTheNotifyingBucket_AsAnUploadDoes()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(Piece + 5);
        Uri session = await StartWithAsync("incoming/site-a/cam1/event.mp4", bytes, 1);
        Assert.Empty(_events.Pending(10));

        StoredObject stored = await _store.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);

        PendingEvent pending = Assert.Single(_events.Pending(10));
        Assert.Equal($"{Bucket}/incoming/site-a/cam1/event.mp4/{stored.Generation}", pending.Event.Id);
    }

    [Fact]
    public async Task Append_IsOnDiskWhenConfirmed_AnotherInstanceReadsTheSameHeldBytes()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(2 * Piece);
        Uri session = await StartWithAsync("incoming/site-b/cam1/durable.mp4", bytes, 2);

        // The recorder is gone; the sweep (another process on the same data directory) finishes what was confirmed.
        StoredObject salvaged = await NewStore().FinishAsHeldAsync(session, CancellationToken.None);

        Assert.Equal(bytes, await ReadObjectAsync("incoming/site-b/cam1/durable.mp4"));
        Assert.Equal(salvaged.Generation, (await _store.QueryAsync(session, CancellationToken.None)).Completed!.Generation);
    }

    [Fact]
    public async Task AppendsRacingASalvageFromAnotherInstance_EndEitherInTheObjectOrPreconditionFailed_NeverAMix()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(8 * 4096);
        Uri session = await _store.StartAsync(Request("incoming/site-a/cam1/race.mp4"), CancellationToken.None);
        await _store.AppendAsync(session, 0, bytes.AsMemory(0, 4096), CancellationToken.None);
        LocalObjectStore sweep = NewStore();

        Task<StoredObject> salvage = Task.Run(() => sweep.FinishAsHeldAsync(session, CancellationToken.None));
        long held = 4096;
        try
        {
            for (int at = 4096; at < bytes.Length; at += 4096)
            {
                held = await _store.AppendAsync(session, at, bytes.AsMemory(at, 4096), CancellationToken.None);
            }
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.PreconditionFailed)
        {
        }
        StoredObject stored = await salvage;

        byte[] salvagedBytes = await ReadObjectAsync("incoming/site-a/cam1/race.mp4");
        Assert.Equal(bytes[..salvagedBytes.Length], salvagedBytes);
        Assert.InRange(stored.Size, 4096, held);
        Assert.Equal(Crc(salvagedBytes), stored.Crc32C);
    }

    [Fact]
    public async Task ASessionOlderThanAWeek_IsRemoved_AndItsUriIsNotFound_AsCloudStorageExpiresSessions()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(Piece);
        Uri finished = await StartWithAsync("incoming/site-a/cam1/old.mp4", bytes, 1);
        await _store.FinishAsync(finished, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);
        Uri open = await StartWithAsync("incoming/site-a/cam1/old-open.mp4", bytes, 1);
        _clock.Advance(TimeSpan.FromDays(6));
        Uri recent = await StartWithAsync("incoming/site-a/cam1/recent.mp4", bytes, 1);
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        int removed = await _store.RemoveExpiredSessionsAsync(CancellationToken.None);

        Assert.Equal(2, removed);
        foreach (Uri gone in new[] { finished, open })
        {
            var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.QueryAsync(gone, CancellationToken.None));
            Assert.Equal(ObjectStoreError.NotFound, e.Error);
        }
        Assert.Equal(Piece, (await _store.QueryAsync(recent, CancellationToken.None)).Persisted);
        Assert.Equal(bytes, await ReadObjectAsync("incoming/site-a/cam1/old.mp4"));
        Assert.Single(Directory.GetDirectories(_dir.Combine("buckets", ".sessions")));
    }

    [Fact]
    public async Task AStartTornByACrash_LeavesAStateFileHalfWritten_WhichTheExpirySweepPassesOver_AndLaterStartsWork()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(Piece);
        Uri old = await StartWithAsync("incoming/site-a/cam1/old.mp4", bytes, 1);
        // A start writes its state file in place (nobody knows the folder yet): a crash mid-write leaves it torn.
        string torn = _dir.Combine("buckets", ".sessions", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(torn);
        await File.WriteAllTextAsync(Path.Combine(torn, "session.json"), "{\"bucket\":\"stag");
        _clock.Advance(LocalObjectStore.SessionLifetime + TimeSpan.FromMinutes(1));

        Assert.Equal(1, await _store.RemoveExpiredSessionsAsync(CancellationToken.None));
        Uri next = await StartWithAsync("incoming/site-a/cam1/next.mp4", bytes, 1); // its start runs the hourly sweep again

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.QueryAsync(old, CancellationToken.None));
        Assert.Equal(ObjectStoreError.NotFound, e.Error);
        Assert.Equal(Piece, (await _store.QueryAsync(next, CancellationToken.None)).Persisted);
    }

    [Fact]
    public async Task AForgedSessionUri_TouchesNoFileOutsideTheSessionsFolder()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(Piece);
        await _store.UploadAsync(new UploadRequest(Bucket, "o", "video/mp4", Crc(bytes), null, 0, new Dictionary<string, string>()),
            new MemoryStream(bytes), CancellationToken.None);
        string[] before = Directory.GetFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories);

        foreach (string forged in new[] { "cctv-local://append-session/..%2Fstaging%2Fo", "cctv-local://append-session/..%2F..%2Fbuckets%2Fstaging%2Fo", "cctv-local://append-session/../staging/o/x" })
        {
            await Assert.ThrowsAsync<ObjectStoreException>(() => _store.AppendAsync(new Uri(forged), 0, bytes, CancellationToken.None));
            await Assert.ThrowsAsync<ObjectStoreException>(() => _store.FinishAsHeldAsync(new Uri(forged), CancellationToken.None));
        }

        Assert.Equal(before, Directory.GetFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories));
        Assert.Equal(bytes, await ReadObjectAsync("o"));
    }

    [Fact]
    public async Task Start_WithANameThisStoreRefuses_FailsAtOnce_NotWhenTheSessionFinishes()
    {
        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.StartAsync(Request("incoming/../../etc/passwd"), CancellationToken.None));

        Assert.Equal(ObjectStoreError.Permanent, e.Error);
        Assert.False(Directory.Exists(_dir.Combine("buckets", ".sessions")) && Directory.GetDirectories(_dir.Combine("buckets", ".sessions")).Length > 0);
    }
}
