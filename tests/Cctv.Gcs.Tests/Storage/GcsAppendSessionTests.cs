using System.Security.Cryptography;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Cctv.TestSupport.Stores;

namespace Cctv.Gcs.Tests.Storage;

/// <summary>
/// The append-session contract (<see cref="AppendSessionsContractTests"/>) on Cloud Storage's adapter against the test GCS
/// server over real HTTP on loopback, and what the wire shows: open-ended chunks, the CRC32C on the last request only,
/// the requests a live tail costs.
/// </summary>
public sealed class GcsAppendSessionTests : AppendSessionsContractTests, IAsyncLifetime
{
    private readonly List<GcsObjectStore> _stores = [];
    private GcsTestServer _server = null!;
    private GcsObjectStore _store = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] });
        _store = await NewStoreAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (GcsObjectStore store in _stores)
        {
            store.Dispose();
        }
        await _server.DisposeAsync();
    }

    protected override IAppendSessions Sessions => _store;

    protected override IObjectStore Objects => _store;

    protected override async Task<IAppendSessions> ReopenAsync() => await NewStoreAsync();

    private async Task<GcsObjectStore> NewStoreAsync(long? maxBytesPerSecond = null)
    {
        GcsObjectStore store = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = 256 * 1024, RequestTimeout = TimeSpan.FromSeconds(10), MaxBytesPerSecond = maxBytesPerSecond },
            CancellationToken.None);
        _stores.Add(store);
        return store;
    }

    protected override IEnumerable<Uri> ForgedSessions(Uri genuine)
    {
        string root = _server.Endpoint.ToString();
        // Never started here (the server does not know it): NotFound.
        yield return new Uri($"{root}upload/storage/v1/b/{Bucket}/o?uploadType=resumable&upload_id=forged{Guid.NewGuid():N}");
        // Elsewhere: refused before a request carries the store's credentials there (a request to port 1 would be a Transient failure).
        yield return new Uri(genuine.ToString().Replace(_server.Endpoint.Authority, "127.0.0.1:1", StringComparison.Ordinal));
        yield return new Uri("https://attacker.example/upload/storage/v1/b/staging/o?uploadType=resumable&upload_id=x");
        yield return new Uri($"{root}storage/v1/b/{Bucket}/o/victim?upload_id=x");
        yield return new Uri("cctv-local://append-session/0123456789abcdef0123456789abcdef");
    }

    [Fact]
    public async Task HeldBytes_FollowsEachObjectsOwnSession_ThenItsObject_AndOtherSitesCam1StaysApart()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece + 700);
        Uri siteA = await StartWithAsync("incoming/site-a/cam1/held.mp4", bytes, 2);
        await StartWithAsync("incoming/site-b/cam1/held.mp4", bytes, 1);

        long aOpen = _server.HeldBytes(Bucket, "incoming/site-a/cam1/held.mp4");
        long bOpen = _server.HeldBytes(Bucket, "incoming/site-b/cam1/held.mp4");
        await _store.FinishAsync(siteA, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);

        Assert.Equal(2L * Piece, aOpen);
        Assert.Equal(1L * Piece, bOpen);
        Assert.Equal(bytes.Length, _server.HeldBytes(Bucket, "incoming/site-a/cam1/held.mp4"));
        Assert.Equal(1L * Piece, _server.HeldBytes(Bucket, "incoming/site-b/cam1/held.mp4"));
        Assert.Equal(0, _server.HeldBytes(Bucket, "incoming/site-c/cam1/held.mp4"));
    }

    [Fact]
    public async Task ALiveTail_SendsOpenEndedChunks_AndOnlyTheLastRequestGivesTheSizeAndTheCrc32C()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece + 500);
        Uri session = await StartWithAsync("incoming/site-a/cam1/wire.mp4", bytes, 3);
        GcsServerCounters before = _server.Counters;

        await _store.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);

        GcsServerCounters after = _server.Counters;
        Assert.Equal(3, before.OpenEndedChunks);
        Assert.Equal(0, before.SessionsCompleted);
        Assert.Equal(1, after.SessionsCompleted);
        Assert.Equal(1, after.SessionsStarted);
        // The finish: one status query, one last chunk.
        Assert.Equal(before.StatusQueries + 1, after.StatusQueries);
        Assert.Equal(before.Chunks + 1, after.Chunks);
        Assert.Equal(after.Requests, after.RequestsByKind.Values.Sum());
    }

    [Fact]
    public async Task Finish_ToldWhatTheSessionHolds_AsksNothing_AndSendsOnlyTheRest()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece + 500);
        const string Name = "incoming/site-a/cam1/told.mp4";
        Uri session = await StartWithAsync(Name, bytes, 3);
        GcsServerCounters before = _server.Counters;

        StoredObject stored = await _store.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: 3L * Piece, CancellationToken.None);

        GcsServerCounters after = _server.Counters;
        Assert.Equal(before.StatusQueries, after.StatusQueries);
        Assert.Equal(before.Requests + 1, after.Requests);
        Assert.Equal(bytes.Length, stored.Size);
        Assert.Equal(bytes, await ReadObjectAsync(Name));
    }

    [Theory]
    [InlineData(4, 2)] // told more than the session holds (an append it never kept): refused, then asked
    [InlineData(1, 3)] // told less (an append whose answer was lost): the bytes sent twice are the same, and kept once
    [InlineData(0, 0)] // a session nothing was appended to yet
    public async Task Finish_ToldAWrongCount_EndsWithTheSameObject(int told, int appended)
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(4 * Piece + 77);
        string name = $"incoming/site-b/cam1/wrong-{told}-{appended}.mp4";
        Uri session = await StartWithAsync(name, bytes, appended);

        StoredObject stored = await _store.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: (long)told * Piece, CancellationToken.None);

        Assert.Equal(bytes.Length, stored.Size);
        Assert.Equal(Crc(bytes), stored.Crc32C);
        Assert.Equal(bytes, await ReadObjectAsync(name));
        Assert.Equal(1, _server.Find(Bucket, name)!.CommitCount);
    }

    [Fact]
    public async Task Finish_ToldACount_OfASessionTheCloudSalvaged_IsStillPreconditionFailed_AndTheSalvagedObjectStays()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece + 9);
        const string Name = "incoming/site-a/cam1/salvaged-told.mp4";
        Uri session = await StartWithAsync(Name, bytes, 2);
        StoredObject salvaged = await _store.FinishAsHeldAsync(session, CancellationToken.None);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(
            () => _store.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: 2L * Piece, CancellationToken.None));

        Assert.Equal(ObjectStoreError.PreconditionFailed, e.Error);
        Assert.Equal(2L * Piece, salvaged.Size);
        Assert.Equal(salvaged.Generation, _server.Find(Bucket, Name)!.Generation);
        Assert.Equal(bytes.AsSpan(0, 2 * Piece).ToArray(), await ReadObjectAsync(Name));
    }

    [Fact]
    public async Task Finish_WhenEveryByteIsHeldAlready_FinishesWithTheSizeAlone_AndTheServerStillChecksTheCrc32C()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(2 * Piece);
        Uri good = await StartWithAsync("incoming/site-a/cam1/whole.mp4", bytes, 2);
        Uri bad = await StartWithAsync("incoming/site-b/cam1/whole.mp4", bytes, 2);
        long chunks = _server.Counters.Chunks;

        StoredObject stored = await _store.FinishAsync(good, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.FinishAsync(bad, new MemoryStream(bytes), Crc(bytes.AsSpan(1)), held: null, CancellationToken.None));

        Assert.Equal(bytes.Length, stored.Size);
        Assert.Equal(chunks, _server.Counters.Chunks);
        Assert.Equal(ObjectStoreError.ChecksumMismatch, e.Error);
        Assert.Null(await _store.GetAsync(Bucket, "incoming/site-b/cam1/whole.mp4", CancellationToken.None));
    }

    [Fact]
    public async Task Appends_ThroughA503_ALostAnswer_AndAPartialAccept_HoldEveryByteOnce_AndTheObjectIsWrittenOnce()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(5 * Piece + 3);
        const string Name = "incoming/site-b/cam1/faults.mp4";
        Uri session = await _store.StartAsync(Request(Name), CancellationToken.None);

        _server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.ResumableChunk);
        Assert.Equal(Piece, await _store.AppendAsync(session, 0, bytes.AsMemory(0, Piece), CancellationToken.None));
        _server.InjectFault(GcsFaultKind.DropResponse, GcsRequestKinds.ResumableChunk);
        Assert.Equal(2L * Piece, await _store.AppendAsync(session, Piece, bytes.AsMemory(Piece, Piece), CancellationToken.None));
        _server.InjectFault(GcsFaultKind.PartialAccept, GcsRequestKinds.ResumableChunk);
        long held = await _store.AppendAsync(session, 2L * Piece, bytes.AsMemory(2 * Piece, 2 * Piece), CancellationToken.None);
        Assert.Equal(3L * Piece, held); // half was kept: the caller sends the rest again
        Assert.Equal(4L * Piece, await _store.AppendAsync(session, held, bytes.AsMemory((int)held, Piece), CancellationToken.None));
        _server.InjectFault(GcsFaultKind.DropResponse, GcsRequestKinds.ResumableChunk);
        StoredObject stored = await _store.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);

        Assert.Equal(0, _server.PendingInjectedFaults);
        Assert.Equal(bytes, await ReadObjectAsync(Name));
        Assert.Equal(1, _server.Find(Bucket, Name)!.CommitCount);
        Assert.Equal(stored.Generation, _server.Find(Bucket, Name)!.Generation);
    }

    [Fact]
    public async Task Append_ToASessionTheServerExpired_IsNotFound()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(2 * Piece);
        Uri session = await StartWithAsync("incoming/site-a/cam1/expired.mp4", bytes, 1);
        Assert.True(_server.ExpireSession(session));

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.AppendAsync(session, Piece, bytes.AsMemory(Piece), CancellationToken.None));

        Assert.Equal(ObjectStoreError.NotFound, e.Error);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Append_UnderTheBandwidthCap_IsServedWhileABacklogUploadRuns_NotAfterIt()
    {
        // 256 KiB/s: a 2 MiB upload takes about 8 s; a 256 KiB append started a second into it must not wait for it to end.
        // (Which of two waiting bites goes first is UplinkBudgetTests'.)
        GcsObjectStore capped = await NewStoreAsync(maxBytesPerSecond: 256 * 1024);
        byte[] bulk = RandomNumberGenerator.GetBytes(8 * Piece);
        byte[] live = RandomNumberGenerator.GetBytes(Piece);
        var request = new UploadRequest(Bucket, "incoming/site-b/cam1/backlog.mp4", "video/mp4", Crc(bulk), null, 0, new Dictionary<string, string>());
        Task<StoredObject> upload = capped.UploadAsync(request, new MemoryStream(bulk), CancellationToken.None);
        Uri session = await capped.StartAsync(Request("incoming/site-a/cam1/live.mp4"), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));

        long held = await capped.AppendAsync(session, 0, live, CancellationToken.None);

        Assert.Equal(Piece, held);
        Assert.False(upload.IsCompleted, "the append should have been served while the backlog upload was still running");
        await upload;
    }
}
