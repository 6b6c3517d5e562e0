using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Sites;
using Microsoft.Data.Sqlite;

namespace Cctv.Functions.Tests.Api;

/// <summary>
/// The audit of reads on the embedded backend, over two sites whose recorders both have a cam1: every read of footage
/// (get_url, get_urls, download, stream, playlist, a playlist's segment link) is recorded before it is answered, a read
/// whose entry cannot be written is refused, and <c>GET /api/audit</c> shows the audit to operators only.
/// </summary>
public sealed class AuditApiTests : IAsyncLifetime
{
    private TwoSiteHost _h = null!;

    public async Task InitializeAsync() => _h = await TwoSiteHost.StartAsync(perCamera: 3);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private Recording ACam1(int i) => _h.Sites.Recordings[TwoSites.ACam1][i];

    private async Task<HttpResponseMessage> SendAsync(string path, string keyName, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _h.Keys[keyName]);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        return await _h.Client.SendAsync(request);
    }

    private async Task<JsonElement[]> AuditAsync(string query = "")
    {
        JsonElement json = await _h.GetJsonAsync("/api/audit" + query, TwoSites.KeyOperator);
        return [.. json.GetProperty("results").EnumerateArray()];
    }

    [Fact]
    public async Task EveryReadOfFootage_IsRecorded_WithWhoWhatWhenFromWhereAndWhichRequest()
    {
        string spoofed = "6.6.6.6";
        (await SendAsync($"/api/recordings/{ACam1(0).Id}/get_url/", TwoSites.KeyA, spoofed)).EnsureSuccessStatusCode();
        _h.Host.Clock.Advance(TimeSpan.FromSeconds(1));
        string gate = _h.Sites.Recordings[TwoSites.AGate][0].Id;
        (await SendAsync($"/api/recordings/get_urls/?ids={ACam1(1).Id}&ids={gate}&ids={ACam1(2).Id}", TwoSites.KeyA)).EnsureSuccessStatusCode();
        _h.Host.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync($"/api/recordings/{ACam1(1).Id}/download/", TwoSites.KeyA)).StatusCode);
        _h.Host.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync($"/api/recordings/{ACam1(2).Id}/stream/", TwoSites.KeyA)).StatusCode);
        _h.Host.Clock.Advance(TimeSpan.FromSeconds(1));
        using HttpResponseMessage playlist = await SendAsync($"/api/cameras/rec-a~cam1/playlist.m3u8?{_h.Range}", TwoSites.KeyA);
        string m3u8 = await playlist.Content.ReadAsStringAsync();
        Assert.True(playlist.IsSuccessStatusCode, m3u8);
        _h.Host.Clock.Advance(TimeSpan.FromSeconds(1));
        string link = m3u8.Split('\n').First(l => l.StartsWith(PlaybackLinks.PathPrefix, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Redirect, (await _h.Client.GetAsync(link)).StatusCode);

        JsonElement[] entries = await AuditAsync();

        Assert.Equal(["playback_link", "playlist", "stream", "download", "get_url", "get_url", "get_url"], entries.Select(e => e.GetProperty("action").GetString()));
        string keyId = _h.Keys[TwoSites.KeyA].Split('_')[1];
        foreach (JsonElement e in entries.Skip(1))
        {
            Assert.Equal("key:" + TwoSites.KeyA, e.GetProperty("principal").GetString());
            Assert.Equal("api-key:" + keyId, e.GetProperty("credential").GetString());
            Assert.Equal(TwoSites.SiteA, e.GetProperty("site").GetString());
        }
        Assert.Equal(PlaybackApi.LinkPrincipal, entries[0].GetProperty("principal").GetString());
        Assert.StartsWith("link:", entries[0].GetProperty("credential").GetString());
        Assert.All(entries, e => Assert.Equal("127.0.0.1", e.GetProperty("client_address").GetString()));
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("request_id").GetString())));
        JsonElement first = entries[^1];
        Assert.Equal(spoofed, first.GetProperty("forwarded_for").GetString());
        Assert.Equal([ACam1(0).Id], first.GetProperty("recording_ids").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(RecordingItem.Iso(_h.Host.Clock.GetUtcNow().AddSeconds(-5)), first.GetProperty("at").GetString());
        // get_urls of two cameras: one entry per camera (in one millisecond, so in ID order), each naming only its camera's recordings.
        var bulk = entries[^3..^1].ToDictionary(e => e.GetProperty("camera_key").GetString()!, e => e.GetProperty("recording_ids").EnumerateArray().Select(i => i.GetString()).ToList());
        Assert.Equal([gate], bulk["rec-a~gate"]);
        Assert.Equal([ACam1(1).Id, ACam1(2).Id], bulk["rec-a~cam1"]);
        JsonElement list = entries[1];
        Assert.Equal("rec-a~cam1", list.GetProperty("camera_key").GetString());
        Assert.Empty(list.GetProperty("recording_ids").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(list.GetProperty("from").GetString()));
    }

    [Fact]
    public async Task AReadWhoseAuditEntryCannotBeWritten_IsRefusedWith503_AndHandsOutNoUrl()
    {
        // A real failure of the real catalog: SQLite itself refuses every insert into the audit.
        using (var c = new SqliteConnection($"Data Source={Path.Combine(_h.Host.DataDir, "cloud", "catalog.db")};Pooling=False"))
        {
            c.Open();
            using SqliteCommand refuse = c.CreateCommand();
            refuse.CommandText = "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;";
            refuse.ExecuteNonQuery();
        }

        foreach (string path in (string[])[$"/api/recordings/{ACam1(0).Id}/get_url/", $"/api/recordings/get_urls/?ids={ACam1(0).Id}",
            $"/api/recordings/{ACam1(0).Id}/download/", $"/api/recordings/{ACam1(0).Id}/stream/", $"/api/cameras/rec-a~cam1/playlist.m3u8?{_h.Range}"])
        {
            using HttpResponseMessage response = await SendAsync(path, TwoSites.KeyA);
            string body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Contains("could not be recorded in the audit log", body);
            Assert.Null(response.Headers.Location);
            Assert.DoesNotContain("/storage/", body);
            Assert.DoesNotContain(PlaybackLinks.PathPrefix, body);
        }
    }

    [Theory]
    [InlineData(TwoSites.KeyA)]
    [InlineData(TwoSites.KeyB)]
    [InlineData(TwoSites.KeyACam1)]
    [InlineData(TwoSites.KeyNobody)]
    public async Task TheAudit_IsForOperatorsOnly_ACallerGrantedOneSiteGetsA404ThatShowsNothing(string key)
    {
        (await SendAsync($"/api/recordings/{ACam1(0).Id}/get_url/", TwoSites.KeyA)).EnsureSuccessStatusCode();
        (await SendAsync($"/api/recordings/{_h.Sites.Recordings[TwoSites.BCam1][0].Id}/get_url/", TwoSites.KeyB)).EnsureSuccessStatusCode();

        foreach (string query in (string[])["", "?recorder=rec-a", "?recorder=rec-b", "?camera=rec-a~cam1", "?camera=cam1"])
        {
            (int status, string body) = await _h.GetTextAsync("/api/audit" + query, key);

            Assert.True(status == 404, $"{key} {query}: {status} {body}");
            Assert.DoesNotContain(ACam1(0).Id, body);
            Assert.DoesNotContain(_h.Sites.Recordings[TwoSites.BCam1][0].Id, body);
            Assert.DoesNotContain("key:", body);
        }
    }

    [Fact]
    public async Task AnOperator_FiltersByCameraKeyRecorderPrincipalAndTime_AndABareCam1IsAmbiguous()
    {
        Recording bCam1 = _h.Sites.Recordings[TwoSites.BCam1][0];
        (await SendAsync($"/api/recordings/{ACam1(0).Id}/get_url/", TwoSites.KeyA)).EnsureSuccessStatusCode();
        _h.Host.Clock.Advance(TimeSpan.FromMinutes(1));
        DateTimeOffset later = _h.Host.Clock.GetUtcNow();
        (await SendAsync($"/api/recordings/{bCam1.Id}/get_url/", TwoSites.KeyB)).EnsureSuccessStatusCode();
        _h.Host.Clock.Advance(TimeSpan.FromSeconds(1));
        (await SendAsync($"/api/recordings/{ACam1(1).Id}/stream/", TwoSites.KeyOperator)).Dispose();

        Assert.Equal([bCam1.Id], (await AuditAsync("?camera=rec-b~cam1")).Select(e => e.GetProperty("recording_ids")[0].GetString()));
        Assert.Equal([ACam1(1).Id, ACam1(0).Id], (await AuditAsync("?recorder=rec-a")).Select(e => e.GetProperty("recording_ids")[0].GetString()));
        Assert.Equal([ACam1(0).Id], (await AuditAsync("?principal=key:" + TwoSites.KeyA)).Select(e => e.GetProperty("recording_ids")[0].GetString()));
        Assert.Equal([ACam1(1).Id, bCam1.Id],
            (await AuditAsync("?from=" + Uri.EscapeDataString(RecordingItem.Iso(later)))).Select(e => e.GetProperty("recording_ids")[0].GetString()));
        (int status, string body) = await _h.GetTextAsync("/api/audit?camera=cam1", TwoSites.KeyOperator);
        Assert.Equal(400, status);
        Assert.Contains("rec-a~cam1", body);
        Assert.Contains("rec-b~cam1", body);
    }

    [Fact]
    public async Task AnOperator_PagesThroughTheAudit_WithSealedTokensBoundToTheFilters()
    {
        for (int i = 0; i < 3; i++)
        {
            (await SendAsync($"/api/recordings/{ACam1(i).Id}/get_url/", TwoSites.KeyA)).EnsureSuccessStatusCode();
            (await SendAsync($"/api/recordings/{_h.Sites.Recordings[TwoSites.BCam1][i].Id}/get_url/", TwoSites.KeyB)).EnsureSuccessStatusCode();
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            JsonElement json = await _h.GetJsonAsync("/api/audit?page_size=4" + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token)), TwoSites.KeyOperator);
            seen.AddRange(json.GetProperty("results").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            token = json.GetProperty("next_page_token").GetString();
            if (token is not null)
            {
                (int other, _) = await _h.GetTextAsync("/api/audit?page_size=4&recorder=rec-a&page_token=" + Uri.EscapeDataString(token), TwoSites.KeyOperator);
                Assert.Equal(400, other);
            }
        }
        while (token is not null);

        Assert.Equal(6, seen.Count);
        Assert.Equal(6, seen.Distinct().Count());
    }

    [Theory]
    [InlineData("?page_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("?page_token=not-a-token")]
    [InlineData("?page_size=100000")]
    [InlineData("?page_size=0")]
    [InlineData("?page_size=-1")]
    [InlineData("?page_size=1e3")]
    [InlineData("?from=2026-01-15T03:00:00Z&to=2026-01-15T02:00:00Z")]
    [InlineData("?from=2026-01-15T03:00:00Z&to=2026-01-15T03:00:00Z")]
    [InlineData("?from=yesterday")]
    [InlineData("?to=2026-01-15")]
    [InlineData("?from=0001-01-01T00:00:00Z")]
    [InlineData("?camera=..%2Fetc")]
    [InlineData("?recorder=REC%20A")]
    [InlineData("?principal=user%3Aa%0Ab")]
    [InlineData("?camera=rec-a~cam1&camera=rec-b~cam1")]
    public async Task HostileQueries_AreA400WithTheReason(string query)
    {
        (int status, string body) = await _h.GetTextAsync("/api/audit" + query, TwoSites.KeyOperator);

        Assert.True(status == 400, $"{query}: {status} {body}");
        Assert.Contains("\"detail\"", body);
    }

    [Fact]
    public async Task APageTokenOfTheRecordingsList_IsNotAnAuditToken()
    {
        JsonElement list = await _h.GetJsonAsync("/api/recordings/?page_size=1", TwoSites.KeyOperator);
        string token = list.GetProperty("next_page_token").GetString()!;

        (int status, string body) = await _h.GetTextAsync("/api/audit?page_size=1&page_token=" + Uri.EscapeDataString(token), TwoSites.KeyOperator);

        Assert.True(status == 400, body);
    }
}
