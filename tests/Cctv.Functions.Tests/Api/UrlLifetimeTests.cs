using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Web;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Api;

public sealed class UrlLifetimeTests
{
    [Theory]
    [InlineData(120, 120)]
    [InlineData(5, 5)]
    [InlineData(14 * 24 * 60, 7 * 24 * 60)]
    public async Task GetUrl_LivesTheConfiguredMinutes_ButNeverLongerThanTheSigningMethodAllows(int configured, int expected)
    {
        using var dir = new TempDir("lifetime");
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using WebApplication app = FunctionsHost.Build(new FunctionsHostSettings(dir.Path, "lifetime-token-0123", Urls: ["http://127.0.0.1:0"], Time: clock,
            MinimumLogLevel: LogLevel.Warning, UrlLifetime: TimeSpan.FromMinutes(configured)));
        await app.StartAsync();
        var backend = new LocalBackend(dir.Path, clock);
        byte[] bytes = Encoding.UTF8.GetBytes("footage");
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        string id = RecordingId.For("r1", "cam1", 1, 0);
        DateTimeOffset start = clock.GetUtcNow().AddMinutes(-5);
        await backend.Catalog.AnnounceAsync(new RecordingAnnouncement(id, "r1", "cam1", "Cam 1", 1, 0, start, start.AddSeconds(4), digest.Size, digest.Sha256,
            digest.Crc32CBase64, digest.Md5, "video/mp4", "incoming/x.mp4"), CancellationToken.None);
        StoredObject stored = await backend.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, "recordings/x.mp4", "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
            new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        await backend.Catalog.MarkStagedAsync(id, 1, CancellationToken.None);
        await backend.Catalog.MarkArchivedAsync(id, "recordings/x.mp4", stored.Generation, CancellationToken.None);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "lifetime-token-0123");

        using JsonDocument json = JsonDocument.Parse(await client.GetStringAsync($"/api/recordings/{id}/get_url/"));

        Assert.Equal(expected, json.RootElement.GetProperty("expires_in_minutes").GetInt32());
        var url = new Uri(json.RootElement.GetProperty("url").GetString()!);
        long expires = long.Parse(HttpUtility.ParseQueryString(url.Query)[HmacUrlSigner.ExpiresParameter]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(clock.GetUtcNow().AddMinutes(expected).ToUnixTimeSeconds(), expires);
        await app.StopAsync();
    }
}
