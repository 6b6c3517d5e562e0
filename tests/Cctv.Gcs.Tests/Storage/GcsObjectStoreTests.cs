using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;

namespace Cctv.Gcs.Tests.Storage;

/// <summary>The Cloud Storage adapter against the test GCS server, over real HTTP on loopback.</summary>
public sealed partial class GcsObjectStoreTests : IAsyncLifetime, IDisposable
{
    private const string Bucket = "staging";
    private const int Chunk = 256 * 1024;
    private GcsTestServer _server = null!;
    private GcsObjectStore _store = null!;
    private readonly TempDir _dir = new("gcs");

    public async Task InitializeAsync()
    {
        _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket, "archive"], RewriteBytesPerCall = Chunk });
        _store = await StoreAsync();
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _server.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    private Task<GcsObjectStore> StoreAsync(TimeSpan? requestTimeout = null) => GcsObjectStore.CreateAsync(
        new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = Chunk, RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10), SingleRequestMaxBytes = 0 },
        CancellationToken.None);

    [SuppressMessage("Security", "CA5351", Justification = "MD5 is one of the checksums Cloud Storage verifies, not a security measure")]
    private (string Path, byte[] Bytes, UploadRequest Request) Segment(string name, int size, Action<Uri>? started = null, Uri? resume = null)
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(size);
        string path = _dir.Combine(name.Replace('/', '_'));
        File.WriteAllBytes(path, bytes);
        var request = new UploadRequest(Bucket, name, "video/mp4", Crc32C.ToBase64(Crc32C.Compute(bytes)), Convert.ToBase64String(MD5.HashData(bytes)),
            IfGenerationMatch: 0, new Dictionary<string, string> { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) }, resume, started);
        return (path, bytes, request);
    }

    private async Task<StoredObject> UploadAsync(GcsObjectStore store, string path, UploadRequest request)
    {
        await using var file = File.OpenRead(path);
        return await store.UploadAsync(request, file, CancellationToken.None);
    }

    [Fact]
    public async Task Upload_InChunks_StoresTheBytesWithTheirChecksumsAndMetadata()
    {
        var sessions = new List<Uri>();
        var (path, bytes, request) = Segment("incoming/r/cam1/a.mp4", 3 * Chunk + 1234, sessions.Add);

        StoredObject stored = await UploadAsync(_store, path, request);

        TestObject kept = _server.Find(Bucket, request.Name)!;
        Assert.Equal(bytes, kept.Bytes.ToArray());
        Assert.Equal(request.Crc32C, stored.Crc32C);
        Assert.Equal(request.Md5, stored.Md5);
        Assert.Equal(kept.Generation, stored.Generation);
        Assert.Equal(bytes.Length, stored.Size);
        Assert.Equal(request.Metadata["sha256"], stored.Metadata["sha256"]);
        Assert.Single(sessions);
        Assert.Equal(4, _server.Counters.Chunks);
    }

    [Fact]
    public async Task ASmallObject_GoesUpInOneRequest_WithItsChecksumsChecked_AndCreateOnly()
    {
        using GcsObjectStore store = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true }, CancellationToken.None);
        var sessions = new List<Uri>();
        var (path, bytes, request) = Segment("incoming/r/cam1/s1.mp4", 700_000, sessions.Add);

        StoredObject stored = await UploadAsync(store, path, request);

        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Equal((request.Crc32C, request.Metadata["sha256"]), (stored.Crc32C, stored.Metadata["sha256"]));
        Assert.Empty(sessions);
        Assert.Equal(1, _server.Counters.Requests);

        var again = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(store, path, request));
        Assert.Equal(ObjectStoreError.PreconditionFailed, again.Error);

        var (badPath, _, badRequest) = Segment("incoming/r/cam1/s2.mp4", 1000);
        File.WriteAllBytes(badPath, new byte[1000]);
        var corrupt = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(store, badPath, badRequest));
        Assert.Equal(ObjectStoreError.ChecksumMismatch, corrupt.Error);
        Assert.Null(_server.Find(Bucket, badRequest.Name));
    }

    [Theory]
    [InlineData(0)] // resumable
    [InlineData(5 * 1024 * 1024)] // one request
    public async Task AnObjectWhoseContentTypeHasParameters_GoesUpOnEitherPath_AndKeepsIt(long singleRequestMaxBytes)
    {
        // An evidence manifest is text/plain; charset=utf-8: the one-request path once refused every one on the gcp backend.
        using GcsObjectStore store = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, SingleRequestMaxBytes = singleRequestMaxBytes }, CancellationToken.None);
        byte[] bytes = "manifest line\nsignature line\nentry line\n"u8.ToArray();
        var request = new UploadRequest(Bucket, $"manifests/r~cam1/{singleRequestMaxBytes:D10}.manifest", "text/plain; charset=utf-8",
            Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0, new Dictionary<string, string>());

        StoredObject stored = await store.UploadAsync(request, new MemoryStream(bytes), CancellationToken.None);

        Assert.Equal(request.Crc32C, stored.Crc32C);
        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Equal("text/plain; charset=utf-8", _server.Find(Bucket, request.Name)!.ContentType);
    }

    [Fact]
    public async Task ASmallObject_WhoseAnswerWasLost_IsReportedAsAlreadyThere_NeverWrittenTwice()
    {
        using GcsObjectStore store = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true }, CancellationToken.None);
        var (path, _, request) = Segment("incoming/r/cam1/s3.mp4", 5000);
        _server.InjectFault(GcsFaultKind.DropResponse, GcsRequestKinds.SimpleUpload, times: 1);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(store, path, request));

        // The quick retry met its own committed object: the caller compares CRC32C (the uploader does) and is done.
        Assert.Equal(ObjectStoreError.PreconditionFailed, e.Error);
        Assert.Equal(1, _server.CommitCount(Bucket, request.Name));
        Assert.Equal(request.Crc32C, _server.Find(Bucket, request.Name)!.Crc32C);
    }

    [Fact]
    public async Task Upload_WhenTheObjectExists_FailsThePreconditionAndLeavesItAlone()
    {
        var (path, _, request) = Segment("incoming/r/cam1/b.mp4", 1000);
        _server.PutObject(Bucket, request.Name, new byte[] { 1, 2, 3 });

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(_store, path, request));

        Assert.Equal(ObjectStoreError.PreconditionFailed, e.Error);
        Assert.Equal(3, _server.Find(Bucket, request.Name)!.Size);
    }

    [Fact]
    public async Task Upload_BytesThatDoNotMatchTheAnnouncedCrc32C_AreRefusedAndNothingIsStored()
    {
        var (path, _, request) = Segment("incoming/r/cam1/c.mp4", 2 * Chunk);
        byte[] corrupted = File.ReadAllBytes(path);
        corrupted[Chunk + 7] ^= 0x10;
        File.WriteAllBytes(path, corrupted);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(_store, path, request with { Md5 = null }));

        Assert.Equal(ObjectStoreError.ChecksumMismatch, e.Error);
        Assert.Null(_server.Find(Bucket, request.Name));
    }

    [Fact]
    public async Task Upload_AfterTheClientDiedMidUpload_ResumesFromTheStatusQueryOffsetInsteadOfStartingOver()
    {
        Uri? session = null;
        var (path, bytes, request) = Segment("incoming/r/cam1/d.mp4", 6 * Chunk, uri => session = uri);
        // The first client gets two chunks through, then dies (as when the agent is killed with SIGKILL).
        using (GcsObjectStore first = await StoreAsync())
        using (var death = new CancellationTokenSource())
        {
            await using var file = new WatchedFile(File.OpenRead(path), 2L * Chunk + 1, death);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.UploadAsync(request, file, death.Token));
        }
        Assert.NotNull(session);
        long chunksBefore = _server.Counters.Chunks;

        // A new process, with only the stored session URI.
        using GcsObjectStore second = await StoreAsync();
        StoredObject stored = await UploadAsync(second, path, request with { ResumeSession = session, SessionStarted = _ => Assert.Fail("a new session was started") });

        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Equal(request.Crc32C, stored.Crc32C);
        Assert.True(_server.Counters.StatusQueries >= 1, "the resumed upload asked the server where it was");
        Assert.Equal(1, _server.CommitCount(Bucket, request.Name));
        Assert.True(_server.Counters.Chunks - chunksBefore < 6, "the resumed upload sent the whole file again");
    }

    [Fact]
    public async Task Upload_WithAnExpiredSession_StartsANewSessionAndCompletes()
    {
        var sessions = new List<Uri>();
        var (path, bytes, request) = Segment("incoming/r/cam1/e.mp4", 2 * Chunk, sessions.Add);
        Uri stale = await StartSessionOnlyAsync(request);
        Assert.True(_server.ExpireSession(stale));

        await UploadAsync(_store, path, request with { ResumeSession = stale });

        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Single(sessions);
        Assert.NotEqual(stale, sessions[0]);
    }

    [Fact]
    public async Task Upload_WithASessionTheServerNeverIssued_StartsANewSession()
    {
        var sessions = new List<Uri>();
        var (path, _, request) = Segment("incoming/r/cam1/f.mp4", Chunk + 5, sessions.Add);
        var unknown = new Uri(_server.Endpoint, $"upload/storage/v1/b/{Bucket}/o?uploadType=resumable&upload_id=never-issued");

        await UploadAsync(_store, path, request with { ResumeSession = unknown });

        Assert.NotNull(_server.Find(Bucket, request.Name));
        Assert.Single(sessions);
    }

    [Theory]
    [InlineData(GcsFaultKind.Http503)]
    [InlineData(GcsFaultKind.Http429)]
    [InlineData(GcsFaultKind.Http500)]
    public async Task Upload_ServerErrorsThatDoNotStop_AreTransientSoTheCallerRetriesLater(GcsFaultKind fault)
    {
        var (path, _, request) = Segment("incoming/r/cam1/g.mp4", 2 * Chunk);
        _server.InjectFault(fault, GcsRequestKinds.ResumableChunk | GcsRequestKinds.ResumableStatusQuery, times: 100);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(_store, path, request));

        Assert.True(e.IsTransient, e.Message);
        Assert.Null(_server.Find(Bucket, request.Name));
    }

    [Fact]
    public async Task Upload_AFewServerErrorsAndResets_AreRetriedWithinTheCall_InTheSameSession()
    {
        var sessions = new List<Uri>();
        var (path, bytes, request) = Segment("incoming/r/cam1/g2.mp4", 3 * Chunk, sessions.Add);
        _server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.ResumableChunk, times: 2);
        _server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.ResumableChunk, times: 2);
        _server.InjectFault(GcsFaultKind.Http429, GcsRequestKinds.ResumableChunk, times: 1);

        await UploadAsync(_store, path, request);

        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Single(sessions);
        Assert.Equal(1, _server.CommitCount(Bucket, request.Name));
    }

    [Fact]
    public async Task Upload_ChunkAcceptedOnlyInPart_SendsTheRestFromTheServersRange()
    {
        var (path, bytes, request) = Segment("incoming/r/cam1/h.mp4", 4 * Chunk);
        _server.InjectFault(GcsFaultKind.PartialAccept, GcsRequestKinds.ResumableChunk, times: 2);

        await UploadAsync(_store, path, request);

        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
    }

    [Fact]
    public async Task Upload_StalledServer_TimesOutAsTransient()
    {
        using GcsObjectStore impatient = await StoreAsync(TimeSpan.FromSeconds(1));
        _server.Faults = _server.Faults with { StallDuration = TimeSpan.FromSeconds(20) };
        _server.InjectFault(GcsFaultKind.Stall, GcsRequestKinds.ResumableInitiation, times: 4); // the first try and its three quick retries
        var (path, _, request) = Segment("incoming/r/cam1/i.mp4", 1000);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(impatient, path, request));

        Assert.True(e.IsTransient, e.Message);
    }

    [Fact]
    public async Task WrongCredentials_AreAPermanentErrorThatSaysWhatToFix()
    {
        await using GcsTestServer guarded = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket], RequiredBearerToken = "right" });
        using GcsObjectStore anonymous = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = guarded.Endpoint, Anonymous = true }, CancellationToken.None);
        var (path, _, request) = Segment("incoming/r/cam1/j.mp4", 1000);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(anonymous, path, request));

        Assert.Equal(ObjectStoreError.Permanent, e.Error);
        Assert.Contains("GCP_STORAGE_CREDENTIALS_PATH", e.Message, StringComparison.Ordinal);
        Assert.Empty(guarded.Objects(Bucket));
    }

    [Fact]
    public async Task MissingOrInvalidKeyFile_IsRefusedAtStartWithTheFix()
    {
        var missing = await Assert.ThrowsAsync<GcsCredentialException>(() =>
            GcsObjectStore.CreateAsync(new GcsSettings { CredentialsPath = _dir.Combine("nope.json") }, CancellationToken.None));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        string notAKey = _dir.Combine("not-a-key.json");
        File.WriteAllText(notAKey, """{"type": "authorized_user", "client_id": "x"}""");
        var invalid = await Assert.ThrowsAsync<GcsCredentialException>(() =>
            GcsObjectStore.CreateAsync(new GcsSettings { CredentialsPath = notAKey }, CancellationToken.None));
        Assert.Contains("service account key", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ObjectOperations_GetCopyListDelete_FollowThePreconditions()
    {
        var (path, bytes, request) = Segment("incoming/r/cam1/k.mp4", 3 * Chunk + 10);
        StoredObject staged = await UploadAsync(_store, path, request);
        Assert.Equal(staged.Generation, (await _store.GetAsync(Bucket, request.Name, CancellationToken.None))!.Generation);
        Assert.Null(await _store.GetAsync(Bucket, "incoming/none.mp4", CancellationToken.None));

        // A rewrite that takes several calls (the server rewrites one chunk per call).
        StoredObject archived = await _store.CopyAsync(Bucket, request.Name, null, "archive", "recordings/cam1/k.mp4", 0, CancellationToken.None);
        Assert.Equal(request.Crc32C, archived.Crc32C);
        Assert.Equal(bytes, _server.Find("archive", "recordings/cam1/k.mp4")!.Bytes.ToArray());
        var again = await Assert.ThrowsAsync<ObjectStoreException>(() =>
            _store.CopyAsync(Bucket, request.Name, null, "archive", "recordings/cam1/k.mp4", 0, CancellationToken.None));
        Assert.Equal(ObjectStoreError.PreconditionFailed, again.Error);

        await using (Stream read = await _store.OpenReadAsync("archive", "recordings/cam1/k.mp4", CancellationToken.None))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }

        var wrongGeneration = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.DeleteAsync(Bucket, request.Name, staged.Generation + 1, CancellationToken.None));
        Assert.Equal(ObjectStoreError.PreconditionFailed, wrongGeneration.Error);
        Assert.True(await _store.DeleteAsync(Bucket, request.Name, staged.Generation, CancellationToken.None));
        Assert.False(await _store.DeleteAsync(Bucket, request.Name, null, CancellationToken.None));
    }

    [Fact]
    public async Task List_PagesThroughEveryObjectUnderThePrefixInNameOrder()
    {
        for (int i = 0; i < 2500; i++)
        {
            _server.PutObject(Bucket, $"incoming/r/cam{i % 3}/{i:D5}.mp4", new byte[] { (byte)i });
        }
        _server.PutObject(Bucket, "other/x.mp4", new byte[] { 1 });

        var names = new List<string>();
        await foreach (StoredObject o in _store.ListAsync(Bucket, "incoming/r/cam1/", CancellationToken.None))
        {
            names.Add(o.Name);
        }

        Assert.Equal(Enumerable.Range(0, 2500).Where(i => i % 3 == 1).Select(i => $"incoming/r/cam1/{i:D5}.mp4"), names);
        var all = new List<string>();
        await foreach (StoredObject o in _store.ListAsync(Bucket, "incoming/", CancellationToken.None))
        {
            all.Add(o.Name);
        }
        Assert.Equal(2500, all.Count);
    }

    [Fact]
    public async Task BandwidthCap_HoldsTheUploadRateDown()
    {
        using GcsObjectStore capped = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = Chunk, MaxBytesPerSecond = 1024 * 1024, SingleRequestMaxBytes = 0 }, CancellationToken.None);
        var (path, _, request) = Segment("incoming/r/cam1/l.mp4", 2 * 1024 * 1024);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await UploadAsync(capped, path, request);

        // 2 MiB at 1 MiB/s, with one period's worth of burst: well over a second.
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1.5), $"2 MiB went up in {clock.Elapsed} under a 1 MiB/s cap");
    }

    private async Task<Uri> StartSessionOnlyAsync(UploadRequest request)
    {
        using var http = new HttpClient();
        var body = new StringContent($$"""{"name":"{{request.Name}}","crc32c":"{{request.Crc32C}}"}""", System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri(_server.Endpoint, $"upload/storage/v1/b/{Bucket}/o?uploadType=resumable&ifGenerationMatch=0"), body);
        response.EnsureSuccessStatusCode();
        return response.Headers.Location!;
    }

    /// <summary>
    /// A file stream that records the lowest offset anything was read from and, when given a death, cancels the upload
    /// reading it once the upload has read past a given offset.
    /// </summary>
    private sealed class WatchedFile(FileStream inner, long dieAfter = long.MaxValue, CancellationTokenSource? death = null) : Stream
    {
        public long Lowest { get; private set; } = long.MaxValue;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int start, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(start, count), cancellationToken).AsTask();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Lowest = Math.Min(Lowest, inner.Position);
            if (death is not null && inner.Position >= dieAfter)
            {
                await death.CancelAsync();
            }
            return await inner.ReadAsync(buffer, cancellationToken);
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
