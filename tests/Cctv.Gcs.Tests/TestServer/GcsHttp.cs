using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Hashing;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

/// <summary>Raw JSON API calls against a <see cref="GcsTestServer"/>, so the tests show the protocol on the wire.</summary>
public sealed class GcsHttp : IDisposable
{
    public const int Quantum = 256 * 1024;

    public GcsHttp(GcsTestServer server, TimeSpan? timeout = null, string? bearerToken = null)
    {
        Server = server;
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = server.Endpoint,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        if (bearerToken is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }
    }

    public GcsTestServer Server { get; }

    public HttpClient Http { get; }

    public static string Escape(string name) => Uri.EscapeDataString(name);

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Crc32CBase64(ReadOnlySpan<byte> data) => Crc32C.ToBase64(Crc32C.Compute(data));

#pragma warning disable CA5351 // md5Hash is what GCS reports.
    public static string Md5Base64(ReadOnlySpan<byte> data) => Convert.ToBase64String(MD5.HashData(data));
#pragma warning restore CA5351

    /// <summary>POSTs the resumable initiation; the raw answer.</summary>
    public Task<HttpResponseMessage> InitiateRawAsync(string bucket, string name, object? metadata = null, string extraQuery = "", long? declaredSize = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"upload/storage/v1/b/{Escape(bucket)}/o?uploadType=resumable&name={Escape(name)}{extraQuery}")
        {
            Content = new StringContent(JsonSerializer.Serialize(metadata ?? new { }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Upload-Content-Type", "video/mp4");
        if (declaredSize is long size)
        {
            request.Headers.Add("X-Upload-Content-Length", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return Http.SendAsync(request);
    }

    /// <summary>Initiates a resumable upload and returns the session URI (asserting 200 + Location).</summary>
    public async Task<Uri> InitiateAsync(string bucket, string name, object? metadata = null, string extraQuery = "", long? declaredSize = null)
    {
        using HttpResponseMessage response = await InitiateRawAsync(bucket, name, metadata, extraQuery, declaredSize);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Uri location = response.Headers.Location ?? throw new Xunit.Sdk.XunitException("The initiation answered no Location header.");
        Assert.StartsWith($"{Server.Endpoint}upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id=", location.ToString(), StringComparison.Ordinal);
        return location;
    }

    /// <summary>PUTs <c>data[offset..offset+length)</c> with <c>Content-Range: bytes A-B/(total or *)</c>.</summary>
    public Task<HttpResponseMessage> PutChunkAsync(Uri session, byte[] data, long offset, int length, long? total, string? xGoogHash = null)
    {
        var content = new ByteArrayContent(data, (int)offset, length);
        content.Headers.ContentRange = total is long t
            ? new ContentRangeHeaderValue(offset, offset + length - 1, t)
            : new ContentRangeHeaderValue(offset, offset + length - 1);
        var request = new HttpRequestMessage(HttpMethod.Put, session) { Content = content };
        if (xGoogHash is not null)
        {
            request.Headers.Add("X-Goog-Hash", xGoogHash);
        }
        return Http.SendAsync(request);
    }

    /// <summary>The status query: empty PUT with <c>Content-Range: bytes */N</c> (or <c>bytes */*</c>).</summary>
    public Task<HttpResponseMessage> QueryAsync(Uri session, long? total = null)
    {
        var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Content-Range", total is long t ? $"bytes */{t}" : "bytes */*");
        return Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, session) { Content = content });
    }

    /// <summary>The persisted byte count a 308 reports (its Range header; none means 0).</summary>
    public static long Persisted(HttpResponseMessage response)
    {
        Assert.Equal(308, (int)response.StatusCode);
        if (!response.Headers.TryGetValues("Range", out IEnumerable<string>? values))
        {
            return 0;
        }
        string range = Assert.Single(values);
        Assert.StartsWith("bytes=0-", range, StringComparison.Ordinal);
        return long.Parse(range["bytes=0-".Length..], System.Globalization.CultureInfo.InvariantCulture) + 1;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        using JsonDocument doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts a GCS-style error: status, and the code and reason inside the JSON body.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, int status, string? reason = null)
    {
        Assert.Equal(status, (int)response.StatusCode);
        JsonElement error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal(status, error.GetProperty("code").GetInt32());
        JsonElement first = error.GetProperty("errors")[0];
        Assert.Equal("global", first.GetProperty("domain").GetString());
        if (reason is not null)
        {
            Assert.Equal(reason, first.GetProperty("reason").GetString());
        }
        return error;
    }

    public void Dispose() => Http.Dispose();
}
