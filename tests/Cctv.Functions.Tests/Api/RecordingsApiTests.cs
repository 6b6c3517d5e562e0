using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Api;

public sealed class RecordingsApiTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer ")]
    public async Task EveryApiRequest_WithoutTheRightBearerToken_Gets401(string? authorization)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseUri };
        foreach (string path in (string[])["/api/recordings/", $"/api/recordings/{RecordingId.For("a", "b", 1, 1)}/get_url/", "/api/recordings/get_urls/?ids=x"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task GetUrl_HasExactlyTheSeedFields_AndTheUrlServesTheExactBytes()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        byte[] bytes = Encoding.UTF8.GetBytes(new string('x', 5000));
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, bytes);
        await host.WaitForStateAsync(a.Id, CloudState.Archived);

        using HttpResponseMessage response = await host.Client.GetAsync($"/api/recordings/{a.Id}/get_url/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            ["url", "storage_type", "expires_in_minutes", "content_type", "file_size", "file_size_mb", "recording_name", "camera_name", "created_at", "duration"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(120, json.RootElement.GetProperty("expires_in_minutes").GetInt32());
        Assert.Equal(5000, json.RootElement.GetProperty("file_size").GetInt64());
        Assert.Equal("video/mp4", json.RootElement.GetProperty("content_type").GetString());
        Assert.Equal(4.0, json.RootElement.GetProperty("duration").GetDouble());

        using var anonymous = new HttpClient();
        string url = json.RootElement.GetProperty("url").GetString()!;
        Assert.Equal(bytes, await anonymous.GetByteArrayAsync(url));

        using var range = new HttpRequestMessage(HttpMethod.Get, url);
        range.Headers.Range = new RangeHeaderValue(100, 199);
        using HttpResponseMessage partial = await anonymous.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[100..200], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ATamperedOrExpiredUrl_IsRefused()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("secret footage"));
        await host.WaitForStateAsync(a.Id, CloudState.Archived);
        using JsonDocument json = JsonDocument.Parse(await host.Client.GetStringAsync($"/api/recordings/{a.Id}/get_url/"));
        string url = json.RootElement.GetProperty("url").GetString()!;
        using var anonymous = new HttpClient();

        string otherObject = url.Replace($"/recordings/{a.RecorderId}~cam1/", $"/recordings/{a.RecorderId}~cam2/", StringComparison.Ordinal);
        Assert.NotEqual(url, otherObject);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(otherObject)).StatusCode);
        string flipped = url[..^1] + (url[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(flipped)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(url.Split('?')[0])).StatusCode);

        host.Clock.Advance(TimeSpan.FromMinutes(121));
        using HttpResponseMessage expired = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DownloadAndStream_RedirectToSignedUrlsWithTheRightDisposition()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("clip"));
        await host.WaitForStateAsync(a.Id, CloudState.Archived);
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseUri };
        noRedirect.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LocalFunctionsHost.Token);

        using HttpResponseMessage download = await noRedirect.GetAsync($"/api/recordings/{a.Id}/download/");
        Assert.Equal(HttpStatusCode.Redirect, download.StatusCode);
        using HttpResponseMessage file = await new HttpClient().GetAsync(download.Headers.Location);
        Assert.Equal("attachment", file.Content.Headers.ContentDisposition!.DispositionType);
        Assert.EndsWith(".mp4", file.Content.Headers.ContentDisposition.FileName!.Trim('"'));

        using HttpResponseMessage stream = await noRedirect.GetAsync($"/api/recordings/{a.Id}/stream/");
        using HttpResponseMessage inline = await new HttpClient().GetAsync(stream.Headers.Location);
        Assert.Equal("inline", inline.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("video/mp4", inline.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task List_NewestFirst_FilteredByCamera_WithTheDocumentedFields()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement first = await host.RecordAsync("cam1", 0, [1]);
        RecordingAnnouncement second = await host.RecordAsync("cam1", 1, [2]);
        await host.RecordAsync("cam2", 0, [3]);

        using JsonDocument json = JsonDocument.Parse(await host.Client.GetStringAsync("/api/recordings/?camera_id=cam1&page_size=1"));
        JsonElement item = json.RootElement.GetProperty("results").EnumerateArray().Single();
        Assert.Equal(second.Id, item.GetProperty("id").GetString());
        foreach (string field in (string[])["id", "camera_id", "camera_name", "start_time", "end_time", "duration", "file_size", "sha256", "state"])
        {
            Assert.True(item.TryGetProperty(field, out _), field);
        }
        string next = json.RootElement.GetProperty("next_page_token").GetString()!;
        using JsonDocument page2 = JsonDocument.Parse(await host.Client.GetStringAsync($"/api/recordings/?camera_id=cam1&page_size=1&page_token={next}"));
        Assert.Equal(first.Id, page2.RootElement.GetProperty("results")[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("/api/recordings/?from=yesterday")]
    [InlineData("/api/recordings/?page_size=0")]
    [InlineData("/api/recordings/?page_size=99999")]
    [InlineData("/api/recordings/?page_token=garbage")]
    [InlineData("/api/recordings/?camera_id=../etc")]
    [InlineData("/api/recordings/get_urls/")]
    public async Task BadQueries_Get400WithAReason(string path)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        using HttpResponseMessage response = await host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("detail", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("not-an-id")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task UnknownIds_Get404(string id)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"/api/recordings/{id}/get_url/")).StatusCode);
    }
}
