using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

public sealed class SimpleUploadTests : ServerTests
{
    private const string Bucket = "staging";

    protected override GcsTestServerOptions Options => new() { Buckets = [Bucket] };


    [Fact]
    public async Task Media_Upload_StoresBytesAndContentType()
    {
        byte[] data = GcsHttp.RandomBytes(5000, seed: 1);
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("video/mp2t");

        using HttpResponseMessage response = await Gcs.Http.PostAsync($"upload/storage/v1/b/{Bucket}/o?uploadType=media&name=a%2Fb.ts", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a/b.ts", (await GcsHttp.JsonAsync(response)).GetProperty("name").GetString());
        TestObject stored = Server.Find(Bucket, "a/b.ts")!;
        Assert.Equal(data, stored.Bytes.ToArray());
        Assert.Equal("video/mp2t", stored.ContentType);
    }

    [Fact]
    public async Task Media_Crc32CMismatchInXGoogHash_Is400AndNothingIsStored()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"upload/storage/v1/b/{Bucket}/o?uploadType=media&name=x")
        {
            Content = new ByteArrayContent([1, 2, 3]),
        };
        request.Headers.Add("X-Goog-Hash", $"crc32c={GcsHttp.Crc32CBase64([1, 2, 4])}");

        using HttpResponseMessage response = await Gcs.Http.SendAsync(request);

        await GcsHttp.AssertErrorAsync(response, 400, "invalid");
        Assert.Null(Server.Find(Bucket, "x"));
    }

    [Fact]
    public async Task Multipart_Upload_TakesNameAndMetadataFromTheJsonPartAndBytesFromTheMediaPart()
    {
        byte[] data = GcsHttp.RandomBytes(70_000, seed: 2);
        string metadata = $$$"""{"name":"clips/c.mp4","contentType":"video/mp4","crc32c":"{{{GcsHttp.Crc32CBase64(data)}}}","md5Hash":"{{{GcsHttp.Md5Base64(data)}}}","metadata":{"mtime":"2025-01-01T00:00:00Z"}}""";

        using HttpResponseMessage response = await Gcs.Http.PostAsync($"upload/storage/v1/b/{Bucket}/o?uploadType=multipart", Multipart(metadata, data));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        TestObject stored = Server.Find(Bucket, "clips/c.mp4")!;
        Assert.Equal(data, stored.Bytes.ToArray());
        Assert.Equal("video/mp4", stored.ContentType);
        Assert.Equal("2025-01-01T00:00:00Z", stored.Metadata["mtime"]);
    }

    [Fact]
    public async Task Multipart_Md5MismatchInMetadata_Is400AndNothingIsStored()
    {
        byte[] data = GcsHttp.RandomBytes(1000, seed: 3);
        string metadata = $$"""{"name":"m","md5Hash":"{{GcsHttp.Md5Base64([0])}}"}""";

        using HttpResponseMessage response = await Gcs.Http.PostAsync($"upload/storage/v1/b/{Bucket}/o?uploadType=multipart", Multipart(metadata, data));

        await GcsHttp.AssertErrorAsync(response, 400, "invalid");
        Assert.Null(Server.Find(Bucket, "m"));
        Assert.Equal(1, Server.Counters.ChecksumMismatches);
    }

    [Fact]
    public async Task Multipart_IfGenerationMatchZeroOnExistingObject_Is412()
    {
        Server.PutObject(Bucket, "dup", new byte[] { 1 });

        using HttpResponseMessage response = await Gcs.Http.PostAsync(
            $"upload/storage/v1/b/{Bucket}/o?uploadType=multipart&ifGenerationMatch=0", Multipart("""{"name":"dup"}""", [2]));

        await GcsHttp.AssertErrorAsync(response, 412, "conditionNotMet");
        Assert.Equal(new byte[] { 1 }, Server.Find(Bucket, "dup")!.Bytes.ToArray());
    }

    [Fact]
    public async Task Upload_ToUnknownBucket_Is404_UnlessBucketsAreAutoCreated()
    {
        using HttpResponseMessage missing = await Gcs.Http.PostAsync("upload/storage/v1/b/nobucket/o?uploadType=media&name=x", new ByteArrayContent([1]));
        await GcsHttp.AssertErrorAsync(missing, 404, "notFound");

        await using GcsTestServer auto = await GcsTestServer.StartAsync(new GcsTestServerOptions { AutoCreateBuckets = true });
        using var gcs = new GcsHttp(auto);
        using HttpResponseMessage created = await gcs.Http.PostAsync("upload/storage/v1/b/newbucket/o?uploadType=media&name=x", new ByteArrayContent([1]));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True(auto.BucketExists("newbucket"));
    }

    [Fact]
    public async Task Multipart_GzipEncodedWithAQuotedBoundaryAndGoogleParameters_IsUnzippedAndStored()
    {
        byte[] data = GcsHttp.RandomBytes(30_000, seed: 4);
        MultipartContent multipart = Multipart($$"""{"name":"site-a/cam1/z.mp4","crc32c":"{{GcsHttp.Crc32CBase64(data)}}"}""", data);
        byte[] plain = await multipart.ReadAsByteArrayAsync();
        var body = new ByteArrayContent(Gzip(plain));
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(multipart.Headers.ContentType!.ToString());
        body.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post,
            $"upload/storage/v1/b/{Bucket}/o?uploadType=multipart&ifGenerationMatch=0&fields=name%2Cgeneration&prettyPrint=false&alt=json&projection=full&userProject=billing-a")
        {
            Content = body,
        };
        request.Headers.Add("x-goog-api-client", "gl-dotnet/10.0.0 gccl/5.0.0");

        using HttpResponseMessage response = await Gcs.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(data, Server.Find(Bucket, "site-a/cam1/z.mp4")!.Bytes.ToArray());
    }

    [Theory]
    [InlineData("gzip", "not valid gzip")]
    [InlineData("br", "Unsupported Content-Encoding 'br'")]
    public async Task Metadata_WithAContentEncodingItCannotUndo_Is400ThatSaysSo_AndNothingIsStored(string coding, string message)
    {
        var body = new StringContent("""{"name":"site-b/cam1/bad.mp4"}""", Encoding.UTF8, "application/json");
        body.Headers.ContentEncoding.Add(coding);

        using HttpResponseMessage response = await Gcs.Http.PostAsync($"upload/storage/v1/b/{Bucket}/o?uploadType=resumable", body);

        JsonElement error = await GcsHttp.AssertErrorAsync(response, 400, "invalid");
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, Server.ActiveSessions);
    }

    private static byte[] Gzip(byte[] plain)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(plain);
        }
        return compressed.ToArray();
    }

    private static MultipartContent Multipart(string metadataJson, byte[] media)
    {
        var content = new MultipartContent("related", "==boundary-" + Guid.NewGuid().ToString("N"));
        content.Add(new StringContent(metadataJson, Encoding.UTF8, "application/json"));
        var mediaPart = new ByteArrayContent(media);
        mediaPart.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(mediaPart);
        return content;
    }
}
