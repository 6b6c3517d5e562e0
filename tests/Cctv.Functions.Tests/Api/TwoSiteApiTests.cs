using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Auth;
using Cctv.Shared.Domain;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests.Api;

/// <summary>
/// The player API over two sites whose recorders both have a cam1 (<see cref="TwoSites"/>): cameras by key, grants by
/// recorder or site, scope applied inside the catalog's query, and page tokens sealed for one caller and one query.
/// </summary>
public sealed class TwoSiteApiTests : IAsyncLifetime
{
    private TwoSiteHost _h = null!;

    public async Task InitializeAsync() => _h = await TwoSiteHost.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private TwoSites Sites => _h.Sites;

    private static void AssertNothingOf(TwoSites sites, string site, string body)
    {
        foreach (string secret in sites.Secrets(site))
        {
            Assert.False(body.Contains(secret, StringComparison.OrdinalIgnoreCase), $"the answer carries '{secret}' of {site}: {body}");
        }
    }

    [Theory]
    [InlineData(TwoSites.KeyA, new[] { "rec-a~cam1", "rec-a~gate" })]
    [InlineData(TwoSites.KeyB, new[] { "rec-b~cam1", "rec-b~dock" })]
    [InlineData(TwoSites.KeyACam1, new[] { "rec-a~cam1" })]
    [InlineData(TwoSites.KeyBSiteCam1, new[] { "rec-b~cam1" })]
    [InlineData(TwoSites.KeyOperator, new[] { "rec-a~cam1", "rec-a~gate", "rec-b~cam1", "rec-b~dock" })]
    [InlineData(TwoSites.KeyNobody, new string[0])]
    public async Task Cameras_ListOnlyWhatTheCallerIsGranted_ByKey_WithRecorderAndSite(string key, string[] expected)
    {
        JsonElement json = await _h.GetJsonAsync("/api/cameras/", key);

        JsonElement[] cameras = [.. json.GetProperty("results").EnumerateArray()];
        Assert.Equal(expected, cameras.Select(c => c.GetProperty("key").GetString()));
        foreach (JsonElement c in cameras)
        {
            string recorder = c.GetProperty("recorder_id").GetString()!;
            Assert.Equal(recorder == TwoSites.RecA ? TwoSites.SiteA : TwoSites.SiteB, c.GetProperty("site_id").GetString());
            Assert.Equal($"{recorder}~{c.GetProperty("id").GetString()}", c.GetProperty("key").GetString());
        }
        if (key == TwoSites.KeyA)
        {
            AssertNothingOf(Sites, TwoSites.SiteB, json.GetRawText());
        }
    }

    [Fact]
    public async Task SiteBsCam1_DoesNotHideSiteAsCam1_OnTimelineGapsAndList()
    {
        foreach (string camera in (string[])["rec-a~cam1", "cam1"]) // by key, and by the ID site A has only one of
        {
            JsonElement timeline = await _h.GetJsonAsync($"/api/cameras/{camera}/timeline/?{_h.Range}", TwoSites.KeyA);
            Assert.Equal("rec-a~cam1", timeline.GetProperty("camera_key").GetString());
            Assert.Equal(Sites.Recordings[TwoSites.ACam1].Select(r => r.Id),
                timeline.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "segment").Select(e => e.GetProperty("id").GetString()));
            JsonElement gaps = await _h.GetJsonAsync($"/api/cameras/{camera}/gaps/?{_h.Range}", TwoSites.KeyA);
            Assert.Equal([Sites.Gaps[TwoSites.ACam1].Reason], gaps.GetProperty("results").EnumerateArray().Select(g => g.GetProperty("reason").GetString()));
            (int status, string playlist) = await _h.GetTextAsync($"/api/cameras/{camera}/playlist.m3u8?{_h.Range}", TwoSites.KeyA);
            Assert.Equal(200, status);
            AssertNothingOf(Sites, TwoSites.SiteB, playlist + timeline.GetRawText() + gaps.GetRawText());
        }
        JsonElement list = await _h.GetJsonAsync("/api/recordings/?camera_id=cam1&page_size=100", TwoSites.KeyA);
        Assert.Equal(Sites.NewestFirst(TwoSites.ACam1).Select(r => r.Id), list.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task ACameraGrantOnRecAsCam1_DoesNotOpenRecBsCam1()
    {
        foreach (string path in (string[])[$"/api/cameras/rec-b~cam1/timeline/?{_h.Range}", $"/api/cameras/rec-b~cam1/gaps/?{_h.Range}",
            $"/api/cameras/rec-b~cam1/playlist.m3u8?{_h.Range}", $"/api/recordings/{Sites.Recordings[TwoSites.BCam1][0].Id}/"])
        {
            (int status, string body) = await _h.GetTextAsync(path, TwoSites.KeyACam1);
            Assert.True(status == 404, $"{path}: {status} {body}");
        }
        JsonElement asked = await _h.GetJsonAsync("/api/recordings/?camera_id=rec-b~cam1", TwoSites.KeyACam1);
        Assert.Empty(asked.GetProperty("results").EnumerateArray());
        JsonElement all = await _h.GetJsonAsync("/api/recordings/?page_size=100", TwoSites.KeyACam1);
        Assert.Equal(Sites.NewestFirst(TwoSites.ACam1).Select(r => r.Id), all.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        // The site-camera grant site-b~cam1 opens rec-b's cam1, and not rec-a's.
        JsonElement siteCam = await _h.GetJsonAsync("/api/recordings/?page_size=100", TwoSites.KeyBSiteCam1);
        Assert.Equal(Sites.NewestFirst(TwoSites.BCam1).Select(r => r.Id), siteCam.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task ABareCameraIdTwoOfTheCallersCamerasShare_Is400NamingBothKeys()
    {
        foreach (string path in (string[])["/api/recordings/?camera_id=cam1", $"/api/cameras/cam1/timeline/?{_h.Range}", $"/api/cameras/cam1/gaps/"])
        {
            (int status, string body) = await _h.GetTextAsync(path, TwoSites.KeyOperator);
            Assert.True(status == 400, $"{path}: {status} {body}");
            Assert.Contains("rec-a~cam1", body);
            Assert.Contains("rec-b~cam1", body);
        }
        // A caller who sees one cam1 is never told of the other.
        (int one, string mine) = await _h.GetTextAsync("/api/recordings/?camera_id=cam1", TwoSites.KeyB);
        Assert.Equal(200, one);
        AssertNothingOf(Sites, TwoSites.SiteA, mine);
    }

    [Theory]
    [InlineData(TwoSites.KeyA, TwoSites.SiteA, "")]
    [InlineData(TwoSites.KeyB, TwoSites.SiteB, "")]
    [InlineData(TwoSites.KeyA, TwoSites.SiteA, "&camera_id=rec-a~cam1&camera_id=rec-b~cam1&camera_id=rec-a~gate")]
    public async Task Paging_AsASiteCaller_GivesFullPages_AndFollowingTokensNeverYieldsTheOtherSite(string key, string site, string cameras)
    {
        var seen = new List<string>();
        var sizes = new List<int>();
        string? token = null;
        do
        {
            JsonElement page = await _h.GetJsonAsync($"/api/recordings/?page_size=3{cameras}" + (token is null ? "" : $"&page_token={token}"), key);
            AssertNothingOf(Sites, TwoSites.Other(site), page.GetRawText());
            string[] ids = [.. page.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
            seen.AddRange(ids);
            sizes.Add(ids.Length);
            token = page.GetProperty("next_page_token").GetString();
            if (token is not null)
            {
                string decoded = Encoding.Latin1.GetString(Base64Url.DecodeFromChars(token));
                AssertNothingOf(Sites, TwoSites.Other(site), decoded);
            }
        }
        while (token is not null);

        Assert.Equal(Sites.RecordingsOf(site).Select(r => r.Id).Order(), seen.Order());
        Assert.All(sizes.SkipLast(1), n => Assert.Equal(3, n));
    }

    [Fact]
    public async Task PageTokens_ForgedAlteredForeignOrOfAnotherQuery_Are400_NeverAServerError()
    {
        JsonElement first = await _h.GetJsonAsync("/api/recordings/?page_size=2", TwoSites.KeyA);
        string token = first.GetProperty("next_page_token").GetString()!;
        Assert.Equal(200, (await _h.GetTextAsync($"/api/recordings/?page_size=2&page_token={token}", TwoSites.KeyA)).Status);
        char[] altered = token.ToCharArray();
        altered[5] = altered[5] == 'A' ? 'B' : 'A';
        string ownCursorOfOldFormat = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{long.MaxValue}:{Sites.Recordings[TwoSites.BCam1][0].Id}"));

        (string Path, string Key)[] refused =
        [
            ($"/api/recordings/?page_size=2&page_token={new string(altered)}", TwoSites.KeyA),
            ($"/api/recordings/?page_size=2&page_token={token}", TwoSites.KeyB), // another caller's
            ($"/api/recordings/?page_size=2&page_token={token}", TwoSites.KeyOperator),
            ($"/api/recordings/?page_size=3&page_token={token}", TwoSites.KeyA), // another query
            ($"/api/recordings/?page_size=2&camera_id=rec-a~gate&page_token={token}", TwoSites.KeyA),
            ($"/api/recordings/?page_size=2&from=2026-01-01T00:00:00Z&page_token={token}", TwoSites.KeyA),
            ($"/api/recordings/?page_size=2&page_token={ownCursorOfOldFormat}", TwoSites.KeyA), // the old plain start:id
            ($"/api/recordings/?page_size=2&page_token={token[..^4]}", TwoSites.KeyA),
            ($"/api/recordings/?page_size=2&page_token=%00%FF", TwoSites.KeyA),
            ($"/api/recordings/?page_size=2&page_token={new string('A', 5000)}", TwoSites.KeyA),
        ];
        foreach ((string path, string key) in refused)
        {
            (int status, string body) = await _h.GetTextAsync(path, key);
            Assert.True(status == 400, $"{path} as {key}: {status} {body}");
            Assert.Contains("page_token", body);
        }
    }

    [Fact]
    public void ACameraGrantOfABareId_OpensNothing_AndIsReportedForReGranting()
    {
        var bare = new AccessGrant(Principals.Key("old"), GrantScope.Camera, "cam1");
        Caller caller = Caller.WithGrants(bare.Principal, [bare], new Dictionary<string, string> { [TwoSites.RecA] = TwoSites.SiteA, [TwoSites.RecB] = TwoSites.SiteB });

        Assert.True(caller.Scope.IsEmpty);
        Assert.Equal([bare], caller.IgnoredGrants);
        ArgumentException refused = Assert.Throws<ArgumentException>(bare.Validate);
        Assert.Contains("RECORDER~cam1", refused.Message);
    }
}
