using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

public sealed class ObjectApiTests : ServerTests
{
    private const string Bucket = "archive";

    protected override GcsTestServerOptions Options => new() { Buckets = [Bucket, "other"], RewriteBytesPerCall = 1024 * 1024 };

    [Fact]
    public async Task GetBucket_Exists_200_Missing_404()
    {
        using HttpResponseMessage found = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}");
        using HttpResponseMessage missing = await Gcs.Http.GetAsync("storage/v1/b/nope");

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("storage#bucket", (await GcsHttp.JsonAsync(found)).GetProperty("kind").GetString());
        await GcsHttp.AssertErrorAsync(missing, 404, "notFound");
    }

    [Fact]
    public async Task GetObject_NameWithEncodedSlashes_ReturnsItsMetadata()
    {
        TestObject put = Server.PutObject(Bucket, "site/cam/2025/seg 1.mp4", new byte[] { 1, 2, 3 }, "video/mp4",
            new Dictionary<string, string> { ["k"] = "v" });

        using HttpResponseMessage response = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o/{GcsHttp.Escape(put.Name)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement o = await GcsHttp.JsonAsync(response);
        Assert.Equal(put.Name, o.GetProperty("name").GetString());
        Assert.Equal("3", o.GetProperty("size").GetString());
        Assert.Equal(put.Crc32C, o.GetProperty("crc32c").GetString());
        Assert.Equal("v", o.GetProperty("metadata").GetProperty("k").GetString());
    }

    [Fact]
    public async Task GetObject_WithGoogleClientParameters_AltJsonFieldsPrettyPrintProjectionUserProject_AnswersTheObject()
    {
        TestObject put = Server.PutObject(Bucket, "site-a/cam1/p.mp4", new byte[] { 1, 2, 3 }, "video/mp4");
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"storage/v1/b/{Bucket}/o/site-a%2Fcam1%2Fp.mp4?alt=json&fields=name%2Cgeneration%2Ccrc32c&prettyPrint=true&projection=noAcl&userProject=billing-a");
        request.Headers.Add("x-goog-api-client", "gl-dotnet/10.0.0 gccl/5.0.0 gdcl/1.78.0");
        request.Headers.Add("x-goog-gcs-idempotency-token", Guid.NewGuid().ToString());

        using HttpResponseMessage response = await Gcs.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement json = await GcsHttp.JsonAsync(response);
        Assert.Equal("site-a/cam1/p.mp4", json.GetProperty("name").GetString());
        Assert.Equal(put.Crc32C, json.GetProperty("crc32c").GetString());
    }

    [Fact]
    public async Task GetObject_Missing_404_AndGenerationMismatch_404()
    {
        TestObject put = Server.PutObject(Bucket, "g", new byte[] { 1 });

        using HttpResponseMessage missing = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o/absent");
        using HttpResponseMessage wrongGeneration = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o/g?alt=media&generation={put.Generation + 1}");
        using HttpResponseMessage notMatch = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o/g?ifGenerationNotMatch={put.Generation}");

        await GcsHttp.AssertErrorAsync(missing, 404, "notFound");
        await GcsHttp.AssertErrorAsync(wrongGeneration, 404, "notFound");
        Assert.Equal(HttpStatusCode.NotModified, notMatch.StatusCode);
    }

    [Fact]
    public async Task Download_WithRange_Returns206AndTheSlice_WithoutTheWholeObjectsHashes()
    {
        byte[] data = GcsHttp.RandomBytes(10_000, seed: 1);
        TestObject put = Server.PutObject(Bucket, "v/seg.mp4", data, "video/mp4");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/b/{Bucket}/o/v%2Fseg.mp4?alt=media");
        request.Headers.Range = new RangeHeaderValue(100, 1099);
        using HttpResponseMessage ranged = await Gcs.Http.SendAsync(request);
        using var suffixRequest = new HttpRequestMessage(HttpMethod.Get, $"download/storage/v1/b/{Bucket}/o/v%2Fseg.mp4?alt=media");
        suffixRequest.Headers.Range = new RangeHeaderValue(null, 500);
        using HttpResponseMessage suffix = await Gcs.Http.SendAsync(suffixRequest);
        using HttpResponseMessage whole = await Gcs.Http.GetAsync($"download/storage/v1/b/{Bucket}/o/v%2Fseg.mp4?generation={put.Generation}&alt=media");

        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(data[100..1100], await ranged.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 100-1099/10000", ranged.Content.Headers.ContentRange!.ToString());
        Assert.False(ranged.Headers.Contains("X-Goog-Hash"), "a part carries no hash of the whole object");
        Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
        Assert.Equal(data[^500..], await suffix.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal($"crc32c={put.Crc32C},md5={put.Md5}", string.Join(",", whole.Headers.GetValues("X-Goog-Hash")));
        Assert.Equal("video/mp4", whole.Content.Headers.ContentType!.MediaType);
        Assert.Equal(put.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(whole.Headers.GetValues("X-Goog-Generation")));
    }

    [Fact]
    public async Task Download_RangeBeyondTheEnd_Is416()
    {
        Server.PutObject(Bucket, "small", new byte[] { 1, 2 });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/b/{Bucket}/o/small?alt=media");
        request.Headers.Range = new RangeHeaderValue(5, null);

        using HttpResponseMessage response = await Gcs.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
    }

    [Fact]
    public async Task List_WithMaxResults_PagesThroughAllObjectsInNameOrder()
    {
        string[] names = [.. Enumerable.Range(0, 23).Select(i => $"seg/{i:D4}.mp4").Reverse()];
        foreach (string name in names)
        {
            Server.PutObject(Bucket, name, new byte[] { 1 });
        }

        var seen = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            string url = $"storage/v1/b/{Bucket}/o?prefix=seg%2F&maxResults=10" + (token is null ? "" : $"&pageToken={Uri.EscapeDataString(token)}");
            using HttpResponseMessage response = await Gcs.Http.GetAsync(url);
            JsonElement page = await GcsHttp.JsonAsync(response);
            Assert.Equal("storage#objects", page.GetProperty("kind").GetString());
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
            token = page.TryGetProperty("nextPageToken", out JsonElement next) ? next.GetString() : null;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(names.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task List_WithDelimiter_ReturnsPrefixesAndDirectItems_AcrossPages()
    {
        foreach (string name in new[] { "a/1", "a/2", "b/1", "c", "d/x/1", "e" })
        {
            Server.PutObject(Bucket, name, new byte[] { 1 });
        }

        using HttpResponseMessage first = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o?delimiter=%2F&maxResults=3");
        JsonElement page1 = await GcsHttp.JsonAsync(first);
        string token = page1.GetProperty("nextPageToken").GetString()!;
        using HttpResponseMessage second = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o?delimiter=%2F&maxResults=3&pageToken={Uri.EscapeDataString(token)}");
        JsonElement page2 = await GcsHttp.JsonAsync(second);
        using HttpResponseMessage nested = await Gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o?delimiter=%2F&prefix=d%2F");
        JsonElement page3 = await GcsHttp.JsonAsync(nested);

        Assert.Equal(["a/", "b/"], Strings(page1, "prefixes"));
        Assert.Equal(["c"], Names(page1));
        Assert.Equal(["d/"], Strings(page2, "prefixes"));
        Assert.Equal(["e"], Names(page2));
        Assert.False(page2.TryGetProperty("nextPageToken", out _));
        Assert.Equal(["d/x/"], Strings(page3, "prefixes"));
        Assert.False(page3.TryGetProperty("items", out _));
    }

    [Fact]
    public async Task Delete_WithGenerationPrecondition_412WhenStale_204WhenCurrent_404After()
    {
        TestObject put = Server.PutObject(Bucket, "d", new byte[] { 1 });

        using HttpResponseMessage stale = await Gcs.Http.DeleteAsync($"storage/v1/b/{Bucket}/o/d?ifGenerationMatch={put.Generation - 1}");
        using HttpResponseMessage current = await Gcs.Http.DeleteAsync($"storage/v1/b/{Bucket}/o/d?ifGenerationMatch={put.Generation}");
        using HttpResponseMessage again = await Gcs.Http.DeleteAsync($"storage/v1/b/{Bucket}/o/d");

        await GcsHttp.AssertErrorAsync(stale, 412, "conditionNotMet");
        Assert.Equal(HttpStatusCode.NoContent, current.StatusCode);
        await GcsHttp.AssertErrorAsync(again, 404, "notFound");
        Assert.Null(Server.Find(Bucket, "d"));
    }

    [Fact]
    public async Task Rewrite_LargerThanBytesPerCall_TakesSeveralCallsWithRewriteTokens()
    {
        byte[] data = GcsHttp.RandomBytes((3 * 1024 * 1024) + 5, seed: 2);
        TestObject source = Server.PutObject(Bucket, "src/s.mp4", data, "video/mp4", new Dictionary<string, string> { ["a"] = "b" });
        var finalized = new List<TestObject>();
        Server.ObjectFinalized += finalized.Add;

        var responses = new List<JsonElement>();
        string? token = null;
        do
        {
            string url = $"storage/v1/b/{Bucket}/o/src%2Fs.mp4/rewriteTo/b/other/o/dst%2Fs.mp4?ifGenerationMatch=0"
                + (token is null ? "" : $"&rewriteToken={Uri.EscapeDataString(token)}");
            using HttpResponseMessage response = await Gcs.Http.PostAsync(url, new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            JsonElement body = await GcsHttp.JsonAsync(response);
            responses.Add(body);
            token = body.GetProperty("done").GetBoolean() ? null : body.GetProperty("rewriteToken").GetString();
        }
        while (token is not null);

        Assert.Equal(4, responses.Count);
        Assert.All(responses, r => Assert.Equal("storage#rewriteResponse", r.GetProperty("kind").GetString()));
        Assert.Equal(["1048576", "2097152", "3145728", "3145733"], responses.Select(r => r.GetProperty("totalBytesRewritten").GetString()));
        Assert.All(responses, r => Assert.Equal("3145733", r.GetProperty("objectSize").GetString()));
        JsonElement resource = responses[^1].GetProperty("resource");
        Assert.Equal("dst/s.mp4", resource.GetProperty("name").GetString());
        Assert.Equal(source.Crc32C, resource.GetProperty("crc32c").GetString());
        TestObject copy = Server.Find("other", "dst/s.mp4")!;
        Assert.Equal(data, copy.Bytes.ToArray());
        Assert.Equal("video/mp4", copy.ContentType);
        Assert.Equal("b", copy.Metadata["a"]);
        Assert.Equal(copy, Assert.Single(finalized));

        using HttpResponseMessage again = await Gcs.Http.PostAsync(
            $"storage/v1/b/{Bucket}/o/src%2Fs.mp4/rewriteTo/b/other/o/dst%2Fs.mp4?ifGenerationMatch=0", new StringContent("{}", Encoding.UTF8, "application/json"));
        await GcsHttp.AssertErrorAsync(again, 412, "conditionNotMet");
    }

    [Fact]
    public async Task Rewrite_SmallObject_IsDoneInOneCall()
    {
        Server.PutObject(Bucket, "tiny", new byte[] { 7 });

        using HttpResponseMessage response = await Gcs.Http.PostAsync($"storage/v1/b/{Bucket}/o/tiny/rewriteTo/b/{Bucket}/o/tiny2", null);

        JsonElement body = await GcsHttp.JsonAsync(response);
        Assert.True(body.GetProperty("done").GetBoolean());
        Assert.False(body.TryGetProperty("rewriteToken", out _));
        Assert.Equal(new byte[] { 7 }, Server.Find(Bucket, "tiny2")!.Bytes.ToArray());
    }

    [Fact]
    public async Task Copy_OverridesMetadataWhenGiven()
    {
        Server.PutObject(Bucket, "c1", new byte[] { 1, 2 }, "video/mp4", new Dictionary<string, string> { ["old"] = "1" });

        using HttpResponseMessage response = await Gcs.Http.PostAsync($"storage/v1/b/{Bucket}/o/c1/copyTo/b/other/o/c2",
            new StringContent("""{"metadata":{"new":"2"}}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        TestObject copy = Server.Find("other", "c2")!;
        Assert.Equal(new Dictionary<string, string> { ["new"] = "2" }, copy.Metadata);
        Assert.Equal("video/mp4", copy.ContentType);
    }

    [Fact]
    public async Task Patch_MergesMetadataAndIncrementsMetageneration()
    {
        TestObject put = Server.PutObject(Bucket, "p", new byte[] { 1 }, metadata: new Dictionary<string, string> { ["keep"] = "1", ["drop"] = "2" });

        using HttpResponseMessage response = await Gcs.Http.PatchAsync($"storage/v1/b/{Bucket}/o/p?ifMetagenerationMatch=1",
            new StringContent("""{"metadata":{"drop":null,"add":"3"}}""", Encoding.UTF8, "application/json"));
        using HttpResponseMessage stale = await Gcs.Http.PatchAsync($"storage/v1/b/{Bucket}/o/p?ifMetagenerationMatch=1",
            new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        TestObject patched = Server.Find(Bucket, "p")!;
        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["add"] = "3" }, patched.Metadata);
        Assert.Equal(2, patched.Metageneration);
        Assert.Equal(put.Generation, patched.Generation);
        await GcsHttp.AssertErrorAsync(stale, 412, "conditionNotMet");
    }

    [Fact]
    public async Task ObjectFinalized_IsRaisedOncePerCommittedGeneration()
    {
        var finalized = new List<TestObject>();
        Server.ObjectFinalized += o =>
        {
            lock (finalized)
            {
                finalized.Add(o);
            }
        };
        byte[] data = GcsHttp.RandomBytes(10, seed: 3);
        Uri session = await Gcs.InitiateAsync(Bucket, "ev");
        (await Gcs.PutChunkAsync(session, data, 0, 10, 10)).Dispose();
        (await Gcs.QueryAsync(session, 10)).Dispose();

        TestObject only = Assert.Single(finalized);
        Assert.Equal("ev", only.Name);
        Assert.Equal(data, only.Bytes.ToArray());
    }

    private static string[] Names(JsonElement page) =>
        page.TryGetProperty("items", out JsonElement items) ? [.. items.EnumerateArray().Select(i => i.GetProperty("name").GetString()!)] : [];

    private static string[] Strings(JsonElement page, string property) =>
        page.TryGetProperty(property, out JsonElement values) ? [.. values.EnumerateArray().Select(v => v.GetString()!)] : [];
}
