using System.Net;
using Cctv.Testing.Gcs;
using Google;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Cctv.Gcs.Tests.TestServer;

/// <summary>
/// Google's own <see cref="StorageClient"/> (Google.Cloud.Storage.V1 5.0.0) against the server, as it talks to Cloud
/// Storage: gzip-compressed JSON bodies, its <c>x-goog-api-client</c> and <c>x-goog-hash</c> headers, multipart and
/// resumable uploads, <c>fields</c>, <c>prettyPrint</c>, <c>alt=json|media</c>, <c>projection</c>, generation
/// preconditions, and CRC32C validation of downloads. Two sites upload a camera called <c>cam1</c> each.
/// </summary>
public sealed class GoogleCloudStorageClientTests : ServerTests
{
    private const string Bucket = "staging";
    private const string Archive = "archive";
    private const int Q = GcsHttp.Quantum;

    protected override GcsTestServerOptions Options => new() { Buckets = [Bucket, Archive] };

    private StorageClient Client(WireRecorder? recorder = null) => new StorageClientBuilder
    {
        BaseUri = Server.Endpoint + "storage/v1/",
        UnauthenticatedAccess = true,
        HttpClientFactory = recorder,
    }.Build();

    [Fact]
    public async Task WhatTheClientSends_GzipBodiesGoogHeadersAndQueryParameters_IsAllAnsweredWithoutAnError()
    {
        var wire = new WireRecorder();
        using StorageClient client = Client(wire);
        byte[] data = GcsHttp.RandomBytes((2 * Q) + 3, seed: 20);

        await client.UploadObjectAsync(new Object { Bucket = Bucket, Name = "site-a/cam1/w.mp4", ContentType = "video/mp4", Metadata = new Dictionary<string, string> { ["sha256"] = "x" } },
            new MemoryStream(data), new UploadObjectOptions { IfGenerationMatch = 0, ChunkSize = Q, UserProject = "billing-a", Projection = Projection.Full });
        await client.UploadObjectAsync(Bucket, "site-b/cam1/w.mp4", "video/mp4", new MemoryStream(data[..100]), CreateOnly());
        Object got = await client.GetObjectAsync(Bucket, "site-a/cam1/w.mp4", new GetObjectOptions { Projection = Projection.NoAcl, UserProject = "billing-a" });
        await client.ListObjectsAsync(Bucket, "site-", new ListObjectsOptions { Fields = "items(name,generation),nextPageToken", UserProject = "billing-a", PageSize = 1 })
            .ToListAsync();
        await client.CopyObjectAsync(Bucket, "site-a/cam1/w.mp4", Archive, "site-a/cam1/w.mp4", new CopyObjectOptions { IfGenerationMatch = 0 });
        await client.UpdateObjectAsync(new Object { Bucket = Bucket, Name = "site-a/cam1/w.mp4", Metadata = new Dictionary<string, string> { ["verified"] = "true" } },
            new UpdateObjectOptions { IfGenerationMatch = got.Generation });
        using var sink = new MemoryStream();
        await client.DownloadObjectAsync(Bucket, "site-a/cam1/w.mp4", sink);
        await client.DeleteObjectAsync(Bucket, "site-b/cam1/w.mp4", new DeleteObjectOptions { IfGenerationMatch = Server.Find(Bucket, "site-b/cam1/w.mp4")!.Generation });

        IReadOnlyList<WireExchange> seen = wire.Exchanges;
        Assert.All(seen, x => Assert.True(x.Status is >= 200 and < 400, $"{x.Method} {x.Target} -> {x.Status}"));
        Assert.All(seen, x => Assert.Contains("x-goog-api-client", x.Headers));
        Assert.Contains(seen, x => x.ContentEncoding == "gzip" && x.Target.Contains("uploadType=resumable", StringComparison.Ordinal));
        Assert.Contains(seen, x => x.ContentEncoding == "gzip" && x.Target.Contains("/rewriteTo/", StringComparison.Ordinal));
        Assert.Contains(seen, x => x.Headers.Contains("X-Upload-Content-Length"));
        // The final chunk carries the client's own CRC32C, which the server checks before it commits.
        Assert.Contains(seen, x => x.Headers.Contains("x-goog-hash") && x.Headers.Contains("Content-Range"));
        foreach (string parameter in new[] { "uploadType=resumable", "ifGenerationMatch=0", "userProject=billing-a", "projection=full", "projection=noAcl", "fields=", "alt=media" })
        {
            Assert.True(seen.Any(x => x.Target.Contains(parameter, StringComparison.Ordinal)),
                $"no request had {parameter}:\n{string.Join("\n", seen.Select(x => x.Method + " " + x.Target))}");
        }
        Assert.Equal(data, sink.ToArray());
        Assert.Equal("true", Server.Find(Bucket, "site-a/cam1/w.mp4")!.Metadata["verified"]);
        Assert.Equal("x", Server.Find(Archive, "site-a/cam1/w.mp4")!.Metadata["sha256"]);
        Assert.Null(Server.Find(Bucket, "site-b/cam1/w.mp4"));
    }

    private static UploadObjectOptions CreateOnly(int? chunkSize = null) => new() { IfGenerationMatch = 0, ChunkSize = chunkSize };

    [Fact]
    public async Task UploadObject_SmallAndMultiChunk_StoresTheBytesWithTheirMetadata()
    {
        using StorageClient client = Client();
        byte[] small = GcsHttp.RandomBytes(1000, seed: 1);
        byte[] large = GcsHttp.RandomBytes((3 * Q) + 777, seed: 2);

        Object a = await client.UploadObjectAsync(
            new Object { Bucket = Bucket, Name = "site-a/cam1/seg 1.mp4", ContentType = "video/mp4", Metadata = new Dictionary<string, string> { ["site"] = "a" } },
            new MemoryStream(small), CreateOnly());
        Object b = await client.UploadObjectAsync(Bucket, "site-b/cam1/seg 1.mp4", "video/mp4", new MemoryStream(large), CreateOnly(chunkSize: Q));

        Assert.Equal(small, Server.Find(Bucket, "site-a/cam1/seg 1.mp4")!.Bytes.ToArray());
        Assert.Equal(large, Server.Find(Bucket, "site-b/cam1/seg 1.mp4")!.Bytes.ToArray());
        Assert.Equal("a", Server.Find(Bucket, "site-a/cam1/seg 1.mp4")!.Metadata["site"]);
        Assert.Equal(GcsHttp.Crc32CBase64(small), a.Crc32c);
        Assert.Equal(GcsHttp.Crc32CBase64(large), b.Crc32c);
        Assert.Equal((ulong)large.Length, b.Size);
        Assert.NotEqual(a.Generation, b.Generation);
        Assert.True(Server.Counters.Chunks >= 4, $"a {large.Length}-byte upload in 256 KiB chunks takes at least 4 chunks, saw {Server.Counters.Chunks}");
    }

    [Fact]
    public async Task UploadObject_CreateOnlyTwice_TheSecondIs412AndTheFirstBytesStay()
    {
        using StorageClient client = Client();
        byte[] first = GcsHttp.RandomBytes(2000, seed: 3);
        byte[] second = GcsHttp.RandomBytes(2000, seed: 4);
        await client.UploadObjectAsync(Bucket, "site-a/cam1/seg.mp4", "video/mp4", new MemoryStream(first), CreateOnly());

        GoogleApiException small = await Assert.ThrowsAsync<GoogleApiException>(() =>
            client.UploadObjectAsync(Bucket, "site-a/cam1/seg.mp4", "video/mp4", new MemoryStream(second), CreateOnly()));
        GoogleApiException chunked = await Assert.ThrowsAsync<GoogleApiException>(() =>
            client.UploadObjectAsync(Bucket, "site-a/cam1/seg.mp4", "video/mp4", new MemoryStream(GcsHttp.RandomBytes(2 * Q, 5)), CreateOnly(Q)));

        Assert.Equal(HttpStatusCode.PreconditionFailed, small.HttpStatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, chunked.HttpStatusCode);
        Assert.Equal(first, Server.Find(Bucket, "site-a/cam1/seg.mp4")!.Bytes.ToArray());
        Assert.Equal(1, Server.CommitCount(Bucket, "site-a/cam1/seg.mp4"));
    }

    [Fact]
    public async Task DownloadObject_ValidatesCrc32C_AndReadsRanges()
    {
        using StorageClient client = Client();
        byte[] data = GcsHttp.RandomBytes((2 * Q) + 5, seed: 6);
        Server.PutObject(Bucket, "site-b/cam1/seg.mp4", data, "video/mp4");

        using var whole = new MemoryStream();
        await client.DownloadObjectAsync(Bucket, "site-b/cam1/seg.mp4", whole, new DownloadObjectOptions { DownloadValidationMode = DownloadValidationMode.Always });
        using var part = new MemoryStream();
        await client.DownloadObjectAsync(Bucket, "site-b/cam1/seg.mp4", part, new DownloadObjectOptions { Range = new System.Net.Http.Headers.RangeHeaderValue(10, 99) });

        Assert.Equal(data, whole.ToArray());
        Assert.Equal(data[10..100], part.ToArray());
    }

    [Fact]
    public async Task ListObjects_WithPrefixAndSmallPages_ReturnsEveryMatchOnceInNameOrder()
    {
        using StorageClient client = Client();
        var expected = new List<string>();
        foreach (string site in new[] { "site-a", "site-b" })
        {
            for (int i = 0; i < 7; i++)
            {
                string name = $"{site}/cam1/seg-{i:D3}.mp4";
                Server.PutObject(Bucket, name, new byte[] { (byte)i });
                if (site == "site-a")
                {
                    expected.Add(name);
                }
            }
        }

        List<string> names = [];
        int pages = 0;
        await foreach (Google.Apis.Storage.v1.Data.Objects page in client.ListObjectsAsync(Bucket, "site-a/", new ListObjectsOptions { PageSize = 3 }).AsRawResponses())
        {
            pages++;
            names.AddRange(page.Items?.Select(o => o.Name) ?? []);
        }

        Assert.Equal(expected, names);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task GetObject_WithFullProjection_ReturnsTheStoredMetadata_And404ForAnotherSitesName()
    {
        using StorageClient client = Client();
        byte[] data = GcsHttp.RandomBytes(300, seed: 8);
        Server.PutObject(Bucket, "site-a/cam1/seg.mp4", data, "video/mp4", new Dictionary<string, string> { ["sha256"] = "abc" });

        Object obj = await client.GetObjectAsync(Bucket, "site-a/cam1/seg.mp4", new GetObjectOptions { Projection = Projection.Full });
        GoogleApiException missing = await Assert.ThrowsAsync<GoogleApiException>(() => client.GetObjectAsync(Bucket, "site-b/cam1/seg.mp4"));

        Assert.Equal("video/mp4", obj.ContentType);
        Assert.Equal((ulong)data.Length, obj.Size);
        Assert.Equal("abc", obj.Metadata["sha256"]);
        Assert.Equal(GcsHttp.Crc32CBase64(data), obj.Crc32c);
        Assert.Equal(Server.Find(Bucket, "site-a/cam1/seg.mp4")!.Generation, obj.Generation);
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatusCode);
    }

    [Fact]
    public async Task CopyObject_CreateOnlyIntoTheArchive_CopiesOnceThen412()
    {
        using StorageClient client = Client();
        byte[] data = GcsHttp.RandomBytes(4000, seed: 9);
        TestObject source = Server.PutObject(Bucket, "site-a/cam1/seg.mp4", data, "video/mp4");

        Object copy = await client.CopyObjectAsync(Bucket, "site-a/cam1/seg.mp4", Archive, "site-a/cam1/seg.mp4",
            new CopyObjectOptions { IfGenerationMatch = 0, IfSourceGenerationMatch = source.Generation });
        GoogleApiException again = await Assert.ThrowsAsync<GoogleApiException>(() => client.CopyObjectAsync(
            Bucket, "site-a/cam1/seg.mp4", Archive, "site-a/cam1/seg.mp4", new CopyObjectOptions { IfGenerationMatch = 0 }));

        Assert.Equal(data, Server.Find(Archive, "site-a/cam1/seg.mp4")!.Bytes.ToArray());
        Assert.Equal(GcsHttp.Crc32CBase64(data), copy.Crc32c);
        Assert.Equal(HttpStatusCode.PreconditionFailed, again.HttpStatusCode);
    }

    [Fact]
    public async Task DeleteObject_WithTheWrongGeneration_Is412_WithTheRightOneDeletes()
    {
        using StorageClient client = Client();
        TestObject stored = Server.PutObject(Bucket, "site-b/cam1/seg.mp4", new byte[] { 1, 2, 3 });

        GoogleApiException wrong = await Assert.ThrowsAsync<GoogleApiException>(() => client.DeleteObjectAsync(
            Bucket, "site-b/cam1/seg.mp4", new DeleteObjectOptions { IfGenerationMatch = stored.Generation + 1 }));
        Assert.NotNull(Server.Find(Bucket, "site-b/cam1/seg.mp4"));
        await client.DeleteObjectAsync(Bucket, "site-b/cam1/seg.mp4", new DeleteObjectOptions { IfGenerationMatch = stored.Generation });

        Assert.Equal(HttpStatusCode.PreconditionFailed, wrong.HttpStatusCode);
        Assert.Null(Server.Find(Bucket, "site-b/cam1/seg.mp4"));
    }

    [Fact]
    public async Task ResumableUpload_After503AndAPartialAccept_TheClientCompletesItByItself()
    {
        using StorageClient client = Client();
        byte[] data = GcsHttp.RandomBytes((4 * Q) + 9, seed: 10);
        Server.InjectFault(GcsFaultKind.PartialAccept, GcsRequestKinds.ResumableChunk);
        Server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.ResumableChunk);

        await client.UploadObjectAsync(Bucket, "site-a/cam1/faulty.mp4", "video/mp4", new MemoryStream(data), CreateOnly(2 * Q));

        Assert.Equal(data, Server.Find(Bucket, "site-a/cam1/faulty.mp4")!.Bytes.ToArray());
        Assert.Equal(0, Server.PendingInjectedFaults);
        Assert.True(Server.Counters.StatusQueries >= 1, "the client should have asked for the persisted range after the 503");
    }

    [Fact]
    public async Task ResumableUpload_ConnectionCutMidChunk_TheClientAsksWhereItStoppedAndFinishes()
    {
        using StorageClient client = Client();
        byte[] data = GcsHttp.RandomBytes((5 * Q) + 1, seed: 11);
        Server.Faults = Server.Faults with { PersistReceivedBytesOnReset = true };
        Server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.ResumableChunk, times: 2);

        await client.UploadObjectAsync(Bucket, "site-b/cam1/cut.mp4", "video/mp4", new MemoryStream(data), CreateOnly(4 * Q));

        Assert.Equal(data, Server.Find(Bucket, "site-b/cam1/cut.mp4")!.Bytes.ToArray());
        Assert.Equal(0, Server.PendingInjectedFaults);
        Assert.True(Server.Counters.StatusQueries >= 1, "after a cut the client should ask the session what it has");
        Assert.Equal(1, Server.CommitCount(Bucket, "site-b/cam1/cut.mp4"));
    }

    [Fact]
    public async Task ResumableUpload_ClientStoppedAfterTheFirstChunk_ANewUploaderResumesTheStoredSession()
    {
        using StorageClient client = Client();
        byte[] data = GcsHttp.RandomBytes((9 * Q) + 1, seed: 12);
        using var stop = new CancellationTokenSource();
        Uri? session = null;
        var first = client.CreateObjectUploader(Bucket, "site-a/cam1/resumed.mp4", "video/mp4", new MemoryStream(data), CreateOnly(4 * Q));
        first.UploadSessionData += d => session = d.UploadUri;
        first.ProgressChanged += p =>
        {
            if (p.BytesSent >= 4 * Q)
            {
                stop.Cancel();
            }
        };

        IUploadProgress stopped = await first.UploadAsync(stop.Token);
        Assert.NotEqual(UploadStatus.Completed, stopped.Status);
        Assert.NotNull(session);
        Assert.Null(Server.Find(Bucket, "site-a/cam1/resumed.mp4"));
        long chunksBefore = Server.Counters.Chunks;

        // 5.0.0 refuses to check its own hash on a resume from a non-zero offset, so the resuming uploader turns that off.
        var resumeOptions = new UploadObjectOptions { IfGenerationMatch = 0, ChunkSize = 4 * Q, UploadValidationMode = UploadValidationMode.None };
        var second = client.CreateObjectUploader(Bucket, "site-a/cam1/resumed.mp4", "video/mp4", new MemoryStream(data), resumeOptions);
        IUploadProgress resumed = await second.ResumeAsync(session);

        Assert.True(resumed.Status == UploadStatus.Completed, resumed.Exception?.ToString());
        Assert.Equal(data, Server.Find(Bucket, "site-a/cam1/resumed.mp4")!.Bytes.ToArray());
        Assert.True(Server.Counters.Chunks - chunksBefore < 3, "the resumed upload sends only what the session lacks, not all three chunks");
        Assert.Equal(1, Server.CommitCount(Bucket, "site-a/cam1/resumed.mp4"));
    }

    private sealed record WireExchange(string Method, string Target, IReadOnlySet<string> Headers, string? ContentEncoding, int Status);

    /// <summary>Google.Apis' HTTP client factory with a handler at the bottom that records each request as sent and its status.</summary>
    private sealed class WireRecorder : Google.Apis.Http.HttpClientFactory
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<WireExchange> _exchanges = new();

        public IReadOnlyList<WireExchange> Exchanges => [.. _exchanges];

        protected override HttpMessageHandler CreateHandler(Google.Apis.Http.CreateHttpClientArgs args) =>
            new Recording(_exchanges) { InnerHandler = base.CreateHandler(args) };

        private sealed class Recording(System.Collections.Concurrent.ConcurrentQueue<WireExchange> exchanges) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
                var headers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                headers.UnionWith(request.Headers.Select(h => h.Key));
                if (request.Content is not null)
                {
                    headers.UnionWith(request.Content.Headers.Select(h => h.Key));
                }
                exchanges.Enqueue(new WireExchange(request.Method.Method, request.RequestUri!.PathAndQuery, headers,
                    request.Content?.Headers.ContentEncoding.FirstOrDefault(), (int)response.StatusCode));
                return response;
            }
        }
    }
}
