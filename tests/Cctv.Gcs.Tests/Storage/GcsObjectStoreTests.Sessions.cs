using System.Net;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.Storage;

/// <summary>
/// What the adapter keeps on top of Google's client: the session handed over before the first byte, a resume from
/// the offset the server reports, a server that reports a wrong CRC32C, and reads streamed through the client.
/// </summary>
public sealed partial class GcsObjectStoreTests
{
    [Fact]
    public async Task Upload_HandsTheSessionToTheCallerBeforeTheFirstByteIsSent()
    {
        long? chunksWhenStored = null;
        var (path, bytes, request) = Segment("incoming/site-a/cam1/m.mp4", 3 * Chunk, _ => chunksWhenStored = _server.Counters.Chunks);

        await UploadAsync(_store, path, request);

        Assert.Equal(0, chunksWhenStored);
        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
    }

    [Fact]
    public async Task Upload_WhenStoringTheSessionFails_NoByteGoesIntoThatSession_TheRetryUsesAStoredOne()
    {
        var offered = new List<Uri>();
        var stored = new List<Uri>();
        var (path, bytes, request) = Segment("incoming/site-b/cam1/m.mp4", 2 * Chunk, uri =>
        {
            offered.Add(uri);
            if (offered.Count == 1)
            {
                throw new IOException("the outbox's disk is full");
            }
            stored.Add(uri);
        });

        await UploadAsync(_store, path, request);

        Assert.Equal(2, offered.Count);
        Assert.Equal(0, await PersistedAsync(offered[0], bytes.Length));
        Assert.Equal(offered[1], Assert.Single(stored));
        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
    }

    [Fact]
    public async Task Upload_ASessionStartThatFailsBriefly_IsRetriedAtOnce_AndOnlyTheStartedSessionIsHandedOver()
    {
        var sessions = new List<Uri>();
        var (path, bytes, request) = Segment("incoming/site-b/cam1/r.mp4", 2 * Chunk, sessions.Add);
        _server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.ResumableInitiation, times: 2);

        await UploadAsync(_store, path, request);

        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Single(sessions);
        Assert.Equal(0, _server.PendingInjectedFaults);
    }

    [Fact]
    public async Task Upload_ResumedByANewProcess_SendsOnlyFromTheOffsetTheServerReports()
    {
        Uri? session = null;
        var (path, bytes, request) = Segment("incoming/site-a/cam1/n.mp4", 6 * Chunk + 99, uri => session = uri);
        using (GcsObjectStore first = await StoreAsync())
        using (var death = new CancellationTokenSource())
        {
            await using var file = new WatchedFile(File.OpenRead(path), 3L * Chunk + 1, death);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.UploadAsync(request, file, death.Token));
        }
        long persisted = await PersistedAsync(session!, bytes.Length);
        Assert.InRange(persisted, Chunk, bytes.Length - 1);

        using GcsObjectStore second = await StoreAsync();
        await using var reads = new WatchedFile(File.OpenRead(path));
        StoredObject stored = await second.UploadAsync(request with { ResumeSession = session, SessionStarted = _ => Assert.Fail("a new session was started") }, reads, CancellationToken.None);

        Assert.Equal(persisted, reads.Lowest);
        Assert.Equal(bytes, _server.Find(Bucket, request.Name)!.Bytes.ToArray());
        Assert.Equal(request.Crc32C, stored.Crc32C);
        Assert.Equal(1, _server.CommitCount(Bucket, request.Name));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload_AServerThatReportsAnotherCrc32CThanOurs_IsNotTrusted(bool small)
    {
        using GcsObjectStore store = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = Chunk, SingleRequestMaxBytes = small ? 5 * 1024 * 1024 : 0 }, CancellationToken.None);
        var (path, _, request) = Segment($"incoming/site-b/cam1/o-{small}.mp4", 2 * Chunk + 7);
        _server.InjectFault(GcsFaultKind.WrongCrc32CReported, small ? GcsRequestKinds.SimpleUpload : GcsRequestKinds.ResumableChunk, times: small ? 1 : 3);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => UploadAsync(store, path, request));

        Assert.Equal(ObjectStoreError.ChecksumMismatch, e.Error);
        Assert.Contains(request.Crc32C, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _server.PendingInjectedFaults);
    }

    [Fact]
    public async Task OpenRead_StreamsTheBytes_AndAMissingObjectFailsAtOpen()
    {
        var (path, bytes, request) = Segment("incoming/site-a/cam1/p.mp4", 3 * 1024 * 1024 + 5);
        await UploadAsync(_store, path, request);

        await using (Stream read = await _store.OpenReadAsync(Bucket, request.Name, CancellationToken.None))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
        await using (Stream early = await _store.OpenReadAsync(Bucket, request.Name, CancellationToken.None))
        {
            Assert.Equal(bytes[0], (byte)early.ReadByte());
        }
        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.OpenReadAsync(Bucket, "incoming/site-b/cam1/p.mp4", CancellationToken.None));
        Assert.Equal(ObjectStoreError.NotFound, missing.Error);
    }

    [Fact]
    public async Task OpenRead_ConnectionCutMidDownload_FailsTheReadAsTransient_NeverShortBytes()
    {
        var (path, _, request) = Segment("incoming/site-b/cam1/q.mp4", 2 * 1024 * 1024);
        await UploadAsync(_store, path, request);
        _server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.Download, times: 1);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(async () =>
        {
            await using Stream read = await _store.OpenReadAsync(Bucket, request.Name, CancellationToken.None);
            await read.CopyToAsync(Stream.Null);
        });

        Assert.True(e.IsTransient, e.Message);
    }

    /// <summary>How many bytes the session holds, by the protocol's status query.</summary>
    private static async Task<long> PersistedAsync(Uri session, long length)
    {
        using var http = new HttpClient();
        using var query = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent([]) };
        query.Content.Headers.TryAddWithoutValidation("Content-Range", $"bytes */{length}");
        using HttpResponseMessage response = await http.SendAsync(query);
        Assert.Equal((HttpStatusCode)308, response.StatusCode);
        return response.Headers.TryGetValues("Range", out var range) ? long.Parse(range.Single().Split('-')[1], System.Globalization.CultureInfo.InvariantCulture) + 1 : 0;
    }
}
