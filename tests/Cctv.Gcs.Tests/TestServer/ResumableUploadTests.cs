using System.Net;
using System.Text.Json;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;

namespace Cctv.Gcs.Tests.TestServer;

public sealed class ResumableUploadTests : ServerTests
{
    private const string Bucket = "staging";

    protected override GcsTestServerOptions Options => new() { Buckets = [Bucket] };

    private const int Q = GcsHttp.Quantum;

    [Fact]
    public async Task Resumable_ChunksAndStatusQueries_StoreExactBytesAndAnswerTheObjectResource()
    {
        byte[] data = GcsHttp.RandomBytes((2 * Q) + 1000, seed: 1);
        string crc = GcsHttp.Crc32CBase64(data);
        string md5 = GcsHttp.Md5Base64(data);
        Uri session = await Gcs.InitiateAsync(Bucket, "cam 1/seg+0001.mp4",
            new { crc32c = crc, md5Hash = md5, metadata = new Dictionary<string, string> { ["camera"] = "cam-1" } });

        using (HttpResponseMessage first = await Gcs.PutChunkAsync(session, data, 0, Q, total: null))
        {
            Assert.Equal(Q, GcsHttp.Persisted(first));
        }
        using (HttpResponseMessage query = await Gcs.QueryAsync(session))
        {
            Assert.Equal(Q, GcsHttp.Persisted(query));
        }
        using (HttpResponseMessage second = await Gcs.PutChunkAsync(session, data, Q, Q, total: null))
        {
            Assert.Equal(2 * Q, GcsHttp.Persisted(second));
        }
        using HttpResponseMessage last = await Gcs.PutChunkAsync(session, data, 2 * Q, 1000, total: data.Length);

        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        JsonElement o = await GcsHttp.JsonAsync(last);
        Assert.Equal("storage#object", o.GetProperty("kind").GetString());
        Assert.Equal("cam 1/seg+0001.mp4", o.GetProperty("name").GetString());
        Assert.Equal(Bucket, o.GetProperty("bucket").GetString());
        Assert.Equal(data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), o.GetProperty("size").GetString());
        Assert.Equal(crc, o.GetProperty("crc32c").GetString());
        Assert.Equal(md5, o.GetProperty("md5Hash").GetString());
        Assert.Equal("video/mp4", o.GetProperty("contentType").GetString());
        Assert.Equal("STANDARD", o.GetProperty("storageClass").GetString());
        Assert.Equal("1", o.GetProperty("metageneration").GetString());
        Assert.Equal("cam-1", o.GetProperty("metadata").GetProperty("camera").GetString());
        long generation = long.Parse(o.GetProperty("generation").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"{Bucket}/cam 1/seg+0001.mp4/{generation}", o.GetProperty("id").GetString());
        Assert.Equal($"{Server.Endpoint}storage/v1/b/{Bucket}/o/cam%201%2Fseg%2B0001.mp4", o.GetProperty("selfLink").GetString());
        Assert.StartsWith($"{Server.Endpoint}download/storage/v1/b/{Bucket}/o/cam%201%2Fseg%2B0001.mp4?generation={generation}", o.GetProperty("mediaLink").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(o.GetProperty("etag").GetString()));
        Assert.True(DateTimeOffset.TryParse(o.GetProperty("timeCreated").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.True(DateTimeOffset.TryParse(o.GetProperty("updated").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));

        TestObject stored = Assert.IsType<TestObject>(Server.Find(Bucket, "cam 1/seg+0001.mp4"));
        Assert.Equal(data, stored.Bytes.ToArray());
        Assert.Equal(generation, stored.Generation);
        Assert.Equal(crc, stored.Crc32C);
        Assert.Equal(md5, stored.Md5);
        Assert.Equal(1, Server.CommitCount(Bucket, "cam 1/seg+0001.mp4"));
        GcsServerCounters counters = Server.Counters;
        Assert.Equal(1, counters.SessionsStarted);
        Assert.Equal(3, counters.Chunks);
        Assert.Equal(1, counters.StatusQueries);
        Assert.Equal(1, counters.ObjectsCommitted);
        Assert.Equal(0, counters.TotalFaults);
    }

    [Fact]
    public async Task Resumable_StatusQueryBeforeAnyBytes_Answers308WithoutRange()
    {
        Uri session = await Gcs.InitiateAsync(Bucket, "a");

        using HttpResponseMessage query = await Gcs.QueryAsync(session, total: 10 * Q);

        Assert.Equal(308, (int)query.StatusCode);
        Assert.False(query.Headers.Contains("Range"));
    }

    [Fact]
    public async Task Resumable_StatusQueryAfterCompletion_ReturnsTheObject()
    {
        byte[] data = GcsHttp.RandomBytes(Q + 7, seed: 2);
        Uri session = await Gcs.InitiateAsync(Bucket, "done");
        (await Gcs.PutChunkAsync(session, data, 0, data.Length, data.Length)).Dispose();

        using HttpResponseMessage query = await Gcs.QueryAsync(session, data.Length);
        using HttpResponseMessage repeatedFinal = await Gcs.PutChunkAsync(session, data, 0, data.Length, data.Length);

        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal("done", (await GcsHttp.JsonAsync(query)).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, repeatedFinal.StatusCode);
        Assert.Equal(1, Server.CommitCount(Bucket, "done"));
    }

    [Fact]
    public async Task Resumable_WholeObjectInOneChunkWithDeclaredSize_Completes()
    {
        byte[] data = GcsHttp.RandomBytes(1234, seed: 3);
        Uri session = await Gcs.InitiateAsync(Bucket, "one", declaredSize: data.Length);

        using HttpResponseMessage response = await Gcs.PutChunkAsync(session, data, 0, data.Length, total: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(data, Server.Find(Bucket, "one")!.Bytes.ToArray());
    }

    [Fact]
    public async Task Resumable_EmptyObject_IsFinalizedByStatusQueryWithTotalZero()
    {
        Uri session = await Gcs.InitiateAsync(Bucket, "empty");

        using HttpResponseMessage response = await Gcs.QueryAsync(session, total: 0);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", (await GcsHttp.JsonAsync(response)).GetProperty("size").GetString());
        Assert.Equal(0, Server.Find(Bucket, "empty")!.Size);
    }

    [Fact]
    public async Task Resumable_NameOnlyInMetadataBody_IsUsed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"upload/storage/v1/b/{Bucket}/o?uploadType=resumable")
        {
            Content = new StringContent("""{"name":"from-body","contentType":"text/plain"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage init = await Gcs.Http.SendAsync(request);
        byte[] data = "hello"u8.ToArray();

        using HttpResponseMessage done = await Gcs.PutChunkAsync(init.Headers.Location!, data, 0, data.Length, data.Length);

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal("text/plain", Server.Find(Bucket, "from-body")!.ContentType);
    }

    [Fact]
    public async Task Resumable_NonFinalChunkNotMultipleOf256KiB_IsRejectedWith400()
    {
        byte[] data = GcsHttp.RandomBytes(3 * Q, seed: 4);
        Uri session = await Gcs.InitiateAsync(Bucket, "odd");

        using HttpResponseMessage response = await Gcs.PutChunkAsync(session, data, 0, Q + 1, total: null);

        await GcsHttp.AssertErrorAsync(response, 400, "invalid");
        using HttpResponseMessage query = await Gcs.QueryAsync(session);
        Assert.Equal(0, GcsHttp.Persisted(query));
    }

    [Fact]
    public async Task Resumable_ChunkStartingBeyondPersistedOffset_IsRejectedWith400()
    {
        byte[] data = GcsHttp.RandomBytes(3 * Q, seed: 5);
        Uri session = await Gcs.InitiateAsync(Bucket, "gap");
        (await Gcs.PutChunkAsync(session, data, 0, Q, null)).Dispose();

        using HttpResponseMessage response = await Gcs.PutChunkAsync(session, data, 2 * Q, Q, data.Length);

        JsonElement error = await GcsHttp.AssertErrorAsync(response, 400);
        Assert.Contains("exceeds already uploaded size of 262144", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        using HttpResponseMessage query = await Gcs.QueryAsync(session);
        Assert.Equal(Q, GcsHttp.Persisted(query));
    }

    [Fact]
    public async Task Resumable_OverlappingChunkWithTheSameBytes_IsAcceptedFromThePersistedOffset()
    {
        byte[] data = GcsHttp.RandomBytes(3 * Q, seed: 6);
        Uri session = await Gcs.InitiateAsync(Bucket, "overlap");
        (await Gcs.PutChunkAsync(session, data, 0, 2 * Q, null)).Dispose();

        using HttpResponseMessage resent = await Gcs.PutChunkAsync(session, data, Q, 2 * Q, data.Length);

        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        Assert.Equal(data, Server.Find(Bucket, "overlap")!.Bytes.ToArray());
    }

    [Fact]
    public async Task Resumable_OverlappingChunkWithDifferentBytes_IsRejectedAndNothingChanges()
    {
        byte[] data = GcsHttp.RandomBytes(3 * Q, seed: 7);
        Uri session = await Gcs.InitiateAsync(Bucket, "overlap-bad");
        (await Gcs.PutChunkAsync(session, data, 0, 2 * Q, null)).Dispose();
        byte[] tampered = (byte[])data.Clone();
        tampered[Q + 5] ^= 0xFF;

        using HttpResponseMessage response = await Gcs.PutChunkAsync(session, tampered, Q, 2 * Q, data.Length);

        await GcsHttp.AssertErrorAsync(response, 400, "invalid");
        using HttpResponseMessage query = await Gcs.QueryAsync(session);
        Assert.Equal(2 * Q, GcsHttp.Persisted(query));
        Assert.Null(Server.Find(Bucket, "overlap-bad"));
    }

    [Fact]
    public async Task Resumable_IfGenerationMatchZeroOnExistingObject_Is412AtInitiation()
    {
        Server.PutObject(Bucket, "exists", new byte[] { 1, 2, 3 });

        using HttpResponseMessage response = await Gcs.InitiateRawAsync(Bucket, "exists", extraQuery: "&ifGenerationMatch=0");

        await GcsHttp.AssertErrorAsync(response, 412, "conditionNotMet");
        Assert.Equal(0, Server.Counters.SessionsStarted);
        Assert.Equal(1, Server.Counters.PreconditionFailures);
    }

    [Fact]
    public async Task Resumable_IfGenerationMatchZeroAndObjectCreatedMeanwhile_Is412AtFinalizeAndNothingIsWritten()
    {
        byte[] data = GcsHttp.RandomBytes(Q + 10, seed: 8);
        Uri session = await Gcs.InitiateAsync(Bucket, "race", extraQuery: "&ifGenerationMatch=0");
        (await Gcs.PutChunkAsync(session, data, 0, Q, null)).Dispose();
        TestObject other = Server.PutObject(Bucket, "race", new byte[] { 9 });

        using HttpResponseMessage final = await Gcs.PutChunkAsync(session, data, Q, 10, data.Length);
        using HttpResponseMessage query = await Gcs.QueryAsync(session, data.Length);

        await GcsHttp.AssertErrorAsync(final, 412, "conditionNotMet");
        await GcsHttp.AssertErrorAsync(query, 412, "conditionNotMet");
        Assert.Equal(other, Server.Find(Bucket, "race"));
        Assert.Equal(1, Server.CommitCount(Bucket, "race"));
    }

    [Fact]
    public async Task Resumable_IfGenerationMatchOfCurrentGeneration_Overwrites()
    {
        TestObject old = Server.PutObject(Bucket, "replace", new byte[] { 1 });
        byte[] data = [2, 3];
        Uri session = await Gcs.InitiateAsync(Bucket, "replace", extraQuery: $"&ifGenerationMatch={old.Generation}");

        using HttpResponseMessage done = await Gcs.PutChunkAsync(session, data, 0, 2, 2);

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        TestObject now = Server.Find(Bucket, "replace")!;
        Assert.True(now.Generation > old.Generation);
        Assert.Equal(2, now.CommitCount);
        Assert.Equal(2, Server.CommitCount(Bucket, "replace"));
    }

    [Fact]
    public async Task Resumable_Crc32CMismatchWithMetadata_Is400AndNothingIsStored()
    {
        byte[] data = GcsHttp.RandomBytes(Q + 3, seed: 9);
        string wrong = GcsHttp.Crc32CBase64(new byte[] { 0 });
        Uri session = await Gcs.InitiateAsync(Bucket, "bad-crc", new { crc32c = wrong });
        (await Gcs.PutChunkAsync(session, data, 0, Q, null)).Dispose();

        using HttpResponseMessage final = await Gcs.PutChunkAsync(session, data, Q, 3, data.Length);

        JsonElement error = await GcsHttp.AssertErrorAsync(final, 400, "invalid");
        Assert.Contains($"Provided CRC32C \"{wrong}\" doesn't match calculated CRC32C \"{GcsHttp.Crc32CBase64(data)}\"",
            error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(Server.Find(Bucket, "bad-crc"));
        Assert.Equal(0, Server.CommitCount(Bucket, "bad-crc"));
        Assert.Equal(1, Server.Counters.ChecksumMismatches);
        using HttpResponseMessage after = await Gcs.QueryAsync(session, data.Length);
        await GcsHttp.AssertErrorAsync(after, 400);
    }

    [Fact]
    public async Task Resumable_Md5MismatchInXGoogHashOfFinalChunk_Is400AndNothingIsStored()
    {
        byte[] data = GcsHttp.RandomBytes(100, seed: 10);
        Uri session = await Gcs.InitiateAsync(Bucket, "bad-md5");
        string wrongMd5 = GcsHttp.Md5Base64(new byte[] { 1 });

        using HttpResponseMessage final = await Gcs.PutChunkAsync(session, data, 0, data.Length, data.Length,
            xGoogHash: $"crc32c={GcsHttp.Crc32CBase64(data)},md5={wrongMd5}");

        JsonElement error = await GcsHttp.AssertErrorAsync(final, 400, "invalid");
        Assert.Contains("MD5", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(Server.Find(Bucket, "bad-md5"));
    }

    [Fact]
    public async Task Resumable_MatchingXGoogHashOnFinalChunk_IsAccepted()
    {
        byte[] data = GcsHttp.RandomBytes(100, seed: 11);
        Uri session = await Gcs.InitiateAsync(Bucket, "good-hash");

        using HttpResponseMessage final = await Gcs.PutChunkAsync(session, data, 0, data.Length, data.Length,
            xGoogHash: $"crc32c={GcsHttp.Crc32CBase64(data)},md5={GcsHttp.Md5Base64(data)}");

        Assert.Equal(HttpStatusCode.OK, final.StatusCode);
    }

    [Fact]
    public async Task Resumable_UnknownUploadId_Is404()
    {
        var session = new Uri(Server.Endpoint, $"upload/storage/v1/b/{Bucket}/o?uploadType=resumable&upload_id=nope");

        using HttpResponseMessage response = await Gcs.QueryAsync(session);

        await GcsHttp.AssertErrorAsync(response, 404, "notFound");
    }

    [Fact]
    public async Task Resumable_SessionExpiredByTest_Is410()
    {
        Uri session = await Gcs.InitiateAsync(Bucket, "expired");
        Uri other = await Gcs.InitiateAsync(Bucket, "still-alive");

        Assert.True(Server.ExpireSession(session));
        using HttpResponseMessage response = await Gcs.PutChunkAsync(session, [1], 0, 1, 1);
        using HttpResponseMessage alive = await Gcs.QueryAsync(other);

        await GcsHttp.AssertErrorAsync(response, 410);
        Assert.Equal(308, (int)alive.StatusCode);
        Server.ExpireAllSessions();
        using HttpResponseMessage gone = await Gcs.QueryAsync(other);
        await GcsHttp.AssertErrorAsync(gone, 410);
        Assert.False(Server.ExpireSession(new Uri(Server.Endpoint, "upload/storage/v1/b/x/o?upload_id=unknown")));
    }

    [Fact]
    public async Task Resumable_SessionOlderThanItsLifetime_Is410()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket], TimeProvider = clock });
        using var gcs = new GcsHttp(server);
        Uri session = await gcs.InitiateAsync(Bucket, "old");

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        using HttpResponseMessage young = await gcs.QueryAsync(session);
        clock.Advance(TimeSpan.FromSeconds(1));
        using HttpResponseMessage old = await gcs.QueryAsync(session);

        Assert.Equal(308, (int)young.StatusCode);
        await GcsHttp.AssertErrorAsync(old, 410);
    }

    [Fact]
    public async Task Resumable_DeleteOnSessionUri_CancelsWith499()
    {
        Uri session = await Gcs.InitiateAsync(Bucket, "cancelled");

        using HttpResponseMessage cancel = await Gcs.Http.DeleteAsync(session);
        using HttpResponseMessage after = await Gcs.PutChunkAsync(session, [1], 0, 1, 1);

        Assert.Equal(499, (int)cancel.StatusCode);
        await GcsHttp.AssertErrorAsync(after, 499);
        Assert.Null(Server.Find(Bucket, "cancelled"));
    }

    [Fact]
    public async Task Resumable_TotalSizeChangingBetweenChunks_IsRejected()
    {
        byte[] data = GcsHttp.RandomBytes(2 * Q, seed: 12);
        Uri session = await Gcs.InitiateAsync(Bucket, "resized", declaredSize: 2 * Q);

        using HttpResponseMessage response = await Gcs.PutChunkAsync(session, data, 0, Q, total: 3 * Q);

        await GcsHttp.AssertErrorAsync(response, 400);
    }

    [Fact]
    public async Task Resumable_ParallelUploads_AllStoredIntactWithStrictlyIncreasingGenerations()
    {
        const int uploads = 24;
        await Parallel.ForEachAsync(Enumerable.Range(0, uploads), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            byte[] data = GcsHttp.RandomBytes((i * 37 * 1024) + 1, seed: 100 + i);
            Uri session = await Gcs.InitiateAsync(Bucket, $"p/{i:D3}", new { crc32c = GcsHttp.Crc32CBase64(data) }, "&ifGenerationMatch=0");
            for (int offset = 0; offset < data.Length; offset += Q)
            {
                int length = Math.Min(Q, data.Length - offset);
                using HttpResponseMessage response = await Gcs.PutChunkAsync(session, data, offset, length, offset + length == data.Length ? data.Length : null);
                Assert.Equal(offset + length == data.Length ? 200 : 308, (int)response.StatusCode);
            }
        });

        IReadOnlyList<TestObject> objects = Server.Objects(Bucket);
        Assert.Equal(uploads, objects.Count);
        for (int i = 0; i < uploads; i++)
        {
            Assert.Equal(GcsHttp.RandomBytes((i * 37 * 1024) + 1, seed: 100 + i), objects[i].Bytes.ToArray());
        }
        Assert.Equal(uploads, objects.Select(o => o.Generation).Distinct().Count());
        Assert.Equal(uploads, Server.Counters.ObjectsCommitted);
    }
}
