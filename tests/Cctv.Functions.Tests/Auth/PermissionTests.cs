using System.Net;
using System.Text.Json;
using Cctv.Functions.Auth;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Auth;

/// <summary>
/// Who may see what, on the gcp-shaped host with users' ID tokens verified by Google.Apis.Auth against a local issuer:
/// every refusal of a credential, and every way to ask for another site's footage, which answers exactly as a
/// recording or camera that does not exist would.
/// </summary>
public sealed class PermissionTests : IAsyncLifetime
{
    private AccessRig _rig = null!;

    public async Task InitializeAsync() => _rig = await AccessRig.StartAsync();

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private string[] EveryRoute(Recording r, string camera) =>
    [
        "/api/recordings/",
        $"/api/recordings/{r.Id}/",
        $"/api/recordings/{r.Id}/get_url/",
        $"/api/recordings/get_urls/?ids={r.Id}",
        $"/api/recordings/{r.Id}/download/",
        $"/api/recordings/{r.Id}/stream/",
        "/api/cameras/",
        $"/api/cameras/{camera}/gaps/",
        $"/api/cameras/{camera}/timeline/?{_rig.Range}",
        $"/api/cameras/{camera}/playlist.m3u8?{_rig.Range}",
        "/api/status",
    ];

    [Fact]
    public async Task NoToken_OnEveryRoute_Is401WithABearerChallenge()
    {
        foreach (string path in EveryRoute(_rig.Hq[0], "hq-gate"))
        {
            using HttpResponseMessage response = await _rig.GetAsync(path, null);
            Assert.True(HttpStatusCode.Unauthorized == response.StatusCode, path);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        }
    }

    [Fact]
    public async Task AnExpiredToken_AWrongAudience_AnotherIssuer_OrAForgedSignature_Is401_WithTheReason()
    {
        (string Token, string Reason)[] refused =
        [
            (_rig.Host.Issuer.Token(GcpShapedHost.PlayerAudience, AccessRig.Alice, lifetime: TimeSpan.FromMinutes(5), issuedAt: DateTimeOffset.UtcNow.AddHours(-2)),
                "expired"),
            (_rig.Host.Issuer.Token("someone-elses-app.apps.googleusercontent.com", AccessRig.Alice), "'aud'"),
            (_rig.Host.Issuer.Token(GcpShapedHost.PlayerAudience, AccessRig.Alice, issuer: "https://evil.example"), "issuer"),
            (_rig.Host.Issuer.Token(GcpShapedHost.PlayerAudience, AccessRig.Alice, signedByStranger: true), "invalid token"),
            (_rig.Host.Issuer.Token(GcpShapedHost.PlayerAudience, AccessRig.Alice, emailVerified: false), "verified email"),
            ("not.a.jwt", "invalid token"),
        ];

        foreach ((string token, string reason) in refused)
        {
            using HttpResponseMessage response = await _rig.GetAsync($"/api/recordings/{_rig.Hq[0].Id}/get_url/", token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AUser_GetsTheirSitesRecording_ButAnotherSitesRecordingIs404_OnEveryRecordingRoute_ExactlyAsAnUnknownId()
    {
        string alice = _rig.TokenOf(AccessRig.Alice);
        Recording own = _rig.Hq[0];
        Recording other = _rig.Depot[0];
        string unknown = RecordingId.For("nobody", "nothing", 1, 1);

        using HttpResponseMessage mine = await _rig.GetAsync($"/api/recordings/{own.Id}/get_url/", alice);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        foreach (string route in (string[])["/api/recordings/{0}/", "/api/recordings/{0}/get_url/", "/api/recordings/{0}/download/", "/api/recordings/{0}/stream/"])
        {
            using HttpResponseMessage theirs = await _rig.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, route, other.Id), alice);
            using HttpResponseMessage nobody = await _rig.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, route, unknown), alice);
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
            Assert.Equal(await nobody.Content.ReadAsStringAsync(), await theirs.Content.ReadAsStringAsync());
            Assert.Null(theirs.Headers.Location);
        }

        using JsonDocument bulk = JsonDocument.Parse(await (await _rig.GetAsync($"/api/recordings/get_urls/?ids={own.Id}&ids={other.Id}", alice)).Content.ReadAsStringAsync());
        JsonElement[] results = [.. bulk.RootElement.GetProperty("results").EnumerateArray()];
        Assert.NotEqual(JsonValueKind.Null, results[0].GetProperty("video").ValueKind);
        Assert.Equal((JsonValueKind.Null, "not found"), (results[1].GetProperty("video").ValueKind, results[1].GetProperty("error").GetString()));
    }

    [Fact]
    public async Task AnotherSitesCamera_InATimeRangeQuery_Is404_AndListingsNeverCarryItsRecordings()
    {
        string alice = _rig.TokenOf(AccessRig.Alice);

        foreach (string path in (string[])[$"/api/cameras/depot-door/timeline/?{_rig.Range}", $"/api/cameras/depot-door/playlist.m3u8?{_rig.Range}",
            $"/api/cameras/depot-door/gaps/?{_rig.Range}", $"/api/cameras/no-such-camera/timeline/?{_rig.Range}"])
        {
            using HttpResponseMessage response = await _rig.GetAsync(path, alice);
            Assert.True(HttpStatusCode.NotFound == response.StatusCode, path);
            Assert.Equal("""{"detail":"camera not found","state":null}""", await response.Content.ReadAsStringAsync());
        }

        string listing = await (await _rig.GetAsync($"/api/recordings/?camera_id=depot-door&camera_id=hq-gate&{_rig.Range}", alice)).Content.ReadAsStringAsync();
        string all = await (await _rig.GetAsync("/api/recordings/", alice)).Content.ReadAsStringAsync();
        string cameras = await (await _rig.GetAsync("/api/cameras/", alice)).Content.ReadAsStringAsync();
        foreach (string body in (string[])[listing, all, cameras])
        {
            Assert.DoesNotContain("depot", body, StringComparison.Ordinal);
            Assert.Contains("hq-gate", body, StringComparison.Ordinal);
        }
        using JsonDocument list = JsonDocument.Parse(all);
        Assert.Equal(_rig.Hq.Count, list.RootElement.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task ACameraGrant_OpensThatCameraOnly_AndNoGrantsOpenNothing()
    {
        string carol = _rig.TokenOf(AccessRig.Carol);
        string dave = _rig.TokenOf(AccessRig.Dave);

        Assert.Equal(HttpStatusCode.OK, (await _rig.GetAsync($"/api/cameras/depot-door/timeline/?{_rig.Range}", carol)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _rig.GetAsync($"/api/cameras/hq-gate/timeline/?{_rig.Range}", carol)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _rig.GetAsync($"/api/recordings/{_rig.Hq[0].Id}/get_url/", carol)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _rig.GetAsync($"/api/recordings/{_rig.Depot[0].Id}/get_url/", carol)).StatusCode);

        using JsonDocument nothing = JsonDocument.Parse(await (await _rig.GetAsync("/api/recordings/", dave)).Content.ReadAsStringAsync());
        Assert.Equal(0, nothing.RootElement.GetProperty("results").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await _rig.GetAsync($"/api/recordings/{_rig.Depot[0].Id}/", dave)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _rig.GetAsync("/api/status", dave)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _rig.GetAsync("/api/status", _rig.TokenOf(GcpShapedHost.OperatorEmail))).StatusCode);
    }

    [Fact]
    public async Task AFootageRecordedByAnotherSitesRecorder_StaysThatSites_EvenForACameraIdGrantedBySite()
    {
        // The hq camera ID turns up on the depot's recorder (a camera moved, or two sites chose the same ID).
        Recording moved = await _rig.ArchiveAsync("r-depot", "hq-gate", 50);
        string alice = _rig.TokenOf(AccessRig.Alice);

        Assert.Equal(HttpStatusCode.NotFound, (await _rig.GetAsync($"/api/recordings/{moved.Id}/get_url/", alice)).StatusCode);
        string timeline = await (await _rig.GetAsync($"/api/cameras/hq-gate/timeline/?{_rig.Range}", alice)).Content.ReadAsStringAsync();
        Assert.DoesNotContain(moved.Id, timeline, StringComparison.Ordinal);
        Assert.Contains(_rig.Hq[0].Id, timeline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFirebaseToken_ForTheProject_SignsInTheSameUser_AndOneWithoutAnEmailIsItsUid()
    {
        string issuer = UserTokenOptions.FirebaseIssuerPrefix + GcpShapedHost.PlayerAudience;
        string firebase = _rig.Host.Issuer.Token(GcpShapedHost.PlayerAudience, AccessRig.Alice, issuer: issuer);
        string phoneOnly = _rig.Host.Issuer.Token(GcpShapedHost.PlayerAudience, "+15550100", issuer: issuer, emailVerified: false);
        string otherProject = _rig.Host.Issuer.Token("other-project", AccessRig.Alice, issuer: UserTokenOptions.FirebaseIssuerPrefix + "other-project");

        Assert.Equal(HttpStatusCode.OK, (await _rig.GetAsync($"/api/recordings/{_rig.Hq[0].Id}/get_url/", firebase)).StatusCode);
        using HttpResponseMessage uid = await _rig.GetAsync("/api/recordings/", phoneOnly);
        Assert.Equal(HttpStatusCode.OK, uid.StatusCode); // signed in, but firebase:<uid> has no grants
        Assert.Equal("""{"results":[],"next_page_token":null}""", await uid.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _rig.GetAsync("/api/recordings/", otherProject)).StatusCode);
    }

    [Fact]
    public async Task AnApiKey_ActsWithItsPrincipalsGrants_UntilItIsRevoked_AndOnlyItsHashIsStored()
    {
        (string key, ApiKeyRecord record) = await ApiKeys.CreateAsync(_rig.Catalog, "nvr-export", TimeProvider.System, CancellationToken.None);
        await _rig.Catalog.GrantAsync(AccessGrant.ToSite(record.Principal, "depot"), CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, (await _rig.GetAsync($"/api/recordings/{_rig.Depot[1].Id}/get_url/", key)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _rig.GetAsync($"/api/recordings/{_rig.Hq[1].Id}/get_url/", key)).StatusCode);
        Assert.DoesNotContain(key["cctv_".Length..][13..], record.SecretSha256, StringComparison.Ordinal); // the secret itself is never stored
        Assert.Equal(HttpStatusCode.Unauthorized, (await _rig.GetAsync("/api/recordings/", key[..^1] + (key[^1] == 'A' ? 'B' : 'A'))).StatusCode);

        Assert.True(await _rig.Catalog.RevokeApiKeyAsync(record.KeyId, CancellationToken.None));
        using HttpResponseMessage revoked = await _rig.GetAsync("/api/recordings/", key);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains("revoked", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryAnswerThatCarriesASignedUrl_IsNoStore_AndDownloadIsAnAttachmentWhileStreamIsInline()
    {
        string bob = _rig.TokenOf(AccessRig.Bob);
        Recording r = _rig.Depot[0];

        foreach (string path in (string[])[$"/api/recordings/{r.Id}/get_url/", $"/api/recordings/get_urls/?ids={r.Id}", $"/api/recordings/{r.Id}/download/",
            $"/api/recordings/{r.Id}/stream/", $"/api/cameras/depot-door/playlist.m3u8?{_rig.Range}"])
        {
            using HttpResponseMessage response = await _rig.GetAsync(path, bob);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, path);
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        }
        using HttpResponseMessage download = await _rig.GetAsync($"/api/recordings/{r.Id}/download/", bob);
        using HttpResponseMessage stream = await _rig.GetAsync($"/api/recordings/{r.Id}/stream/", bob);
        string expectedName = Uri.EscapeDataString($"filename=\"depot-door_{r.Announcement.StartTime.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.mp4\"");
        Assert.Contains("response-content-disposition=attachment%3B%20" + expectedName, download.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains("response-content-disposition=inline%3B%20" + expectedName, stream.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
    }
}
