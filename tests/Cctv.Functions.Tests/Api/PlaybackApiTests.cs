using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Api;

/// <summary>The time-range API on the embedded backend: timeline, HLS playlist, playback links, and CORS.</summary>
public sealed class PlaybackApiTests
{
    private static string Range(LocalFunctionsHost host) =>
        $"from={Uri.EscapeDataString(RecordingItem.Iso(host.Clock.GetUtcNow().AddMinutes(-11)))}&to={Uri.EscapeDataString(RecordingItem.Iso(host.Clock.GetUtcNow()))}";

    /// <summary>Segments 0, 1, 2 and 5 of cam1 (4 s each, from ten minutes ago): an 8-second hole after the third.</summary>
    private static async Task<RecordingAnnouncement[]> RecordWithAHoleAsync(LocalFunctionsHost host)
    {
        var recorded = new List<RecordingAnnouncement>();
        foreach (int seq in (int[])[0, 1, 2, 5])
        {
            recorded.Add(await host.RecordAsync("cam1", seq, Encoding.UTF8.GetBytes($"segment {seq} bytes")));
        }
        foreach (RecordingAnnouncement a in recorded)
        {
            await host.WaitForStateAsync(a.Id, CloudState.Archived);
        }
        return [.. recorded];
    }

    [Fact]
    public async Task Playlist_IsHlsWithADiscontinuityAtTheHole_AndEveryLinkRedirectsToASignedUrlOfItsBytes()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement[] recorded = await RecordWithAHoleAsync(host);

        using HttpResponseMessage response = await host.Client.GetAsync($"/api/cameras/cam1/playlist.m3u8?{Range(host)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HlsPlaylist.ContentType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n');
        string[] links = [.. lines.Where(l => l.StartsWith(PlaybackLinks.PathPrefix, StringComparison.Ordinal))];
        Assert.Equal(recorded.Select(a => a.Id), links.Select(l => l[PlaybackLinks.PathPrefix.Length..l.IndexOf(".mp4", StringComparison.Ordinal)]));
        int discontinuity = Array.IndexOf(lines, "#EXT-X-DISCONTINUITY");
        Assert.StartsWith("# gap ", lines[discontinuity - 1], StringComparison.Ordinal);
        Assert.Equal(links[3], lines[discontinuity + 3]);

        using var player = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseUri }; // no bearer token
        for (int i = 0; i < links.Length; i++)
        {
            using HttpResponseMessage redirect = await player.GetAsync(links[i]);
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            Assert.Equal("no-store", redirect.Headers.CacheControl!.ToString());
            Assert.Equal($"segment {recorded[i].Sequence} bytes", await player.GetStringAsync(redirect.Headers.Location));
        }
    }

    [Fact]
    public async Task PlaybackLinks_AreRefusedWhenTamperedWithOrOnceThePlaylistHasExpired_AndTheRedirectTargetExpiresSoon()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement[] recorded = await RecordWithAHoleAsync(host);
        string playlist = await host.Client.GetStringAsync($"/api/cameras/cam1/playlist.m3u8?{Range(host)}");
        string link = playlist.Split('\n').First(l => l.StartsWith(PlaybackLinks.PathPrefix, StringComparison.Ordinal));
        using var player = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseUri };

        string otherRecording = link.Replace(recorded[0].Id, recorded[1].Id, StringComparison.Ordinal);
        string longer = link.Replace("exp=", "exp=9", StringComparison.Ordinal);
        foreach (string forged in (string[])[otherRecording, longer, link.Split('?')[0], link[..^2]])
        {
            using HttpResponseMessage refused = await player.GetAsync(forged);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
        }

        // The links live 120 minutes plus the 11-minute range; the signed URL a link leads to lives 15 minutes.
        using HttpResponseMessage early = await player.GetAsync(link);
        host.Clock.Advance(TimeSpan.FromMinutes(16));
        using HttpResponseMessage staleTarget = await player.GetAsync(early.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, staleTarget.StatusCode);
        using HttpResponseMessage fresh = await player.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, (await player.GetAsync(fresh.Headers.Location)).StatusCode);

        host.Clock.Advance(TimeSpan.FromMinutes(120));
        using HttpResponseMessage expired = await player.GetAsync(link);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeline_ListsTheSegments_AndTheHoleAsAGapWithNoRecording_InJson()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement[] recorded = await RecordWithAHoleAsync(host);

        using HttpResponseMessage response = await host.Client.GetAsync($"/api/cameras/cam1/timeline/?{Range(host)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement[] entries = [.. json.RootElement.GetProperty("entries").EnumerateArray()];
        Assert.Equal(recorded.Select(a => a.Id), entries.Where(e => e.GetProperty("type").GetString() == "segment").Select(e => e.GetProperty("id").GetString()));
        JsonElement hole = entries.Single(e => e.GetProperty("type").GetString() == "gap" && e.GetProperty("start_time").GetString() == RecordingItem.Iso(recorded[2].EndTime));
        Assert.Equal((GapReasons.NoRecording, 8.0), (hole.GetProperty("reason").GetString(), hole.GetProperty("duration").GetDouble()));
        Assert.Equal(16.0, json.RootElement.GetProperty("recorded_seconds").GetDouble());
    }

    [Theory]
    [InlineData("")]
    [InlineData("from=2026-01-15T03:00:00Z")]
    [InlineData("from=2026-01-15&to=2026-01-16")]
    [InlineData("from=yesterday&to=today")]
    [InlineData("from=2026-01-15T03:00:00&to=2026-01-15T04:00:00")]
    [InlineData("from=2026-01-15T04:00:00Z&to=2026-01-15T03:00:00Z")]
    [InlineData("from=2026-01-15T00:00:00Z&to=2026-01-17T00:00:00Z")]
    [InlineData("from=2026-01-15T03:00:00Z&from=2026-01-15T03:30:00Z&to=2026-01-15T04:00:00Z")]
    [InlineData("from=0001-01-01T00:00:00Z&to=0001-01-01T01:00:00Z")]
    public async Task BadRanges_Are400WithAReason(string query)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();

        foreach (string route in (string[])["timeline/", "playlist.m3u8"])
        {
            using HttpResponseMessage response = await host.Client.GetAsync($"/api/cameras/r1~cam1/{route}?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("detail", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task APlaylistOverARangeWithNoArchivedFootage_Is404_AndSaysToLookAtTheTimeline()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();

        using HttpResponseMessage response = await host.Client.GetAsync($"/api/cameras/r1~cam1/playlist.m3u8?{Range(host)}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("timeline", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cors_AnswersPreflightsAndRequestsFromConfiguredOriginsOnly()
    {
        using var dir = new TempDir("cors");
        await using WebApplication app = FunctionsHost.Build(new FunctionsHostSettings(dir.Path, LocalFunctionsHost.Token, Urls: ["http://127.0.0.1:0"],
            MinimumLogLevel: LogLevel.Warning, CorsOrigins: ["https://cctv.example.com", "http://localhost:3000"]));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        foreach ((string origin, bool allowed) in ((string, bool)[])[("https://cctv.example.com", true), ("http://localhost:3000", true), ("https://evil.example", false)])
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/recordings/");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
            using HttpResponseMessage answer = await client.SendAsync(preflight);
            Assert.Equal(allowed, answer.Headers.TryGetValues("Access-Control-Allow-Origin", out IEnumerable<string>? allow) && allow.Single() == origin);

            using var get = new HttpRequestMessage(HttpMethod.Get, "/api/cameras/");
            get.Headers.Add("Origin", origin);
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LocalFunctionsHost.Token);
            using HttpResponseMessage response = await client.SendAsync(get);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(allowed, response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        await app.StopAsync();
    }

    [Theory]
    [InlineData("https://cctv.example.com/")]
    [InlineData("cctv.example.com")]
    [InlineData("https://cctv.example.com/app")]
    [InlineData("ftp://cctv.example.com")]
    public void CorsOrigins_ThatAreNotBareOrigins_AreRefusedAtStart(string value)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => Cctv.Functions.Auth.ApiAccessOptions.ParseOrigins(value));
        Assert.Contains("scheme://host[:port]", e.Message, StringComparison.Ordinal);
    }
}
