using System.Net;
using Cctv.Functions.Api;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Tests.Api;

/// <summary>
/// /storage serves bytes a recorder uploaded, on the API's own origin: only allow-listed media types are served as
/// themselves, anything else as an octet-stream attachment, and every answer is nosniff and sandboxed.
/// </summary>
public sealed class LocalStorageEndpointTests
{
    private static async Task<Uri> PutAndSignAsync(LocalFunctionsHost host, string name, string storedType, string? signedType = null, string? disposition = null)
    {
        byte[] bytes = "<script>alert(document.cookie)</script>"u8.ToArray();
        await host.Backend.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, name, storedType, Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0,
            new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        return await host.Backend.Signer.SignAsync(new SignedUrlRequest(LocalBackend.ArchiveBucket, name, TimeSpan.FromMinutes(5),
            ResponseContentDisposition: disposition, ResponseContentType: signedType, Endpoint: host.BaseUri), CancellationToken.None);
    }

    private static void AssertSandboxed(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("sandbox", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
    }

    [Theory]
    [InlineData("text/html", null)]
    [InlineData("video/mp4", "text/html; charset=utf-8")]
    [InlineData("image/svg+xml", null)]
    [InlineData("application/javascript", null)]
    [InlineData("not a type", null)]
    public async Task AContentTypeOutsideTheAllowList_IsServedAsAnOctetStreamAttachment(string storedType, string? signedType)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        Uri url = await PutAndSignAsync(host, "recordings/cam1/page.html", storedType, signedType, "inline; filename=\"page.html\"");
        using var anonymous = new HttpClient();

        using HttpResponseMessage response = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("page.html", response.Content.Headers.ContentDisposition.FileName?.Trim('"'));
        AssertSandboxed(response);
    }

    [Theory]
    [InlineData("video/mp4")]
    [InlineData("video/MP2T")]
    [InlineData("application/vnd.apple.mpegurl")]
    public async Task AnAllowedMediaType_IsServedAsItself_Inline(string type)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        Uri url = await PutAndSignAsync(host, "recordings/cam1/segment.bin", type, disposition: "inline; filename=\"segment\"");
        using var anonymous = new HttpClient();

        using HttpResponseMessage response = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type.ToLowerInvariant(), response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("inline", response.Content.Headers.ContentDisposition!.DispositionType);
        AssertSandboxed(response);
    }

    [Theory]
    [InlineData("/storage/cctv-archive/recordings/cam1/x.mp4?X-Cctv-Expires=1&X-Cctv-Signature=forged")]
    [InlineData("/storage/cctv-archive/recordings/cam1/x.mp4")]
    [InlineData("/storage/")]
    [InlineData("/storage")]
    public async Task EveryAnswerUnderStorage_RefusalsIncluded_IsSandboxed(string path)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = host.BaseUri };

        using HttpResponseMessage response = await anonymous.GetAsync(path);

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path}: {(int)response.StatusCode}");
        AssertSandboxed(response);
    }

    [Fact]
    public void TheAllowList_HoldsNothingABrowserWouldRun()
    {
        Assert.DoesNotContain(LocalStorageEndpoint.AllowedContentTypes, t => t.Contains("html", StringComparison.Ordinal) || t.Contains("script", StringComparison.Ordinal)
            || t.Contains("xml", StringComparison.Ordinal) || t.Contains("svg", StringComparison.Ordinal) || t.StartsWith("text/", StringComparison.Ordinal));
        Assert.Null(LocalStorageEndpoint.AllowedType("text/html"));
        Assert.Equal("video/mp4", LocalStorageEndpoint.AllowedType("Video/MP4; codecs=\"avc1\""));
    }
}
