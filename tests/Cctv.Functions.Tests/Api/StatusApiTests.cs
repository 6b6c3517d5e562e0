using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Api;

/// <summary>GET /api/status: counts, the oldest unverified recording, recorders offline, and the on-time share.</summary>
public sealed class StatusApiTests
{
    [Fact]
    public async Task Status_CountsByState_NamesTheOldestUnverified_TheOfflineRecorders_AndTheOnTimeShare()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        var archive = new Cctv.Functions.Finalize.ArchiveService(host.Store, host.Catalog, new(GcpShapedHost.Staging, GcpShapedHost.Archive),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Cctv.Functions.Finalize.ArchiveService>.Instance);
        RecordingAnnouncement fast = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("a"));
        await archive.ProcessAsync(fast.StagingObject, CancellationToken.None);
        RecordingAnnouncement slow = await host.RecordAsync("cam1", 1, Encoding.UTF8.GetBytes("b"));
        await host.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-gone", host.Clock.GetUtcNow(), 4, 4096, host.Clock.GetUtcNow()), CancellationToken.None);
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        await archive.ProcessAsync(slow.StagingObject, CancellationToken.None); // six minutes after it ended: late
        RecordingAnnouncement waiting = await host.RecordAsync("cam1", 2, Encoding.UTF8.GetBytes("c"), upload: false);
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        await host.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-ok", host.Clock.GetUtcNow(), 0, 0, null, "1.2.0"), CancellationToken.None);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Issuer.Token(GcpShapedHost.PlayerAudience, "operator@example.com"));
        using HttpResponseMessage response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement s = json.RootElement;
        JsonElement counts = s.GetProperty("counts");
        Assert.Equal((2, 1, 0), (counts.GetProperty("archived").GetInt32(), counts.GetProperty("announced").GetInt32(), counts.GetProperty("quarantined").GetInt32()));
        Assert.Equal(["announced", "staged", "archived", "quarantined", "lost", "expired", "salvaging", "salvaged"], counts.EnumerateObject().Select(p => p.Name));
        JsonElement oldest = s.GetProperty("oldest_unverified");
        Assert.Equal((waiting.Id, "announced"), (oldest.GetProperty("id").GetString(), oldest.GetProperty("state").GetString()));
        Assert.Equal(360, oldest.GetProperty("age_seconds").GetDouble());
        Assert.Equal(["site-gone"], s.GetProperty("recorders_offline").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, s.GetProperty("recorders").GetArrayLength());
        JsonElement onTime = s.GetProperty("archived_within_target");
        Assert.Equal((3, 1), (onTime.GetProperty("due").GetInt32(), onTime.GetProperty("on_time").GetInt32()));
        Assert.Equal(1.0 / 3, onTime.GetProperty("share").GetDouble(), 6);
        Assert.Equal((0.999, 5.0, false), (onTime.GetProperty("objective").GetDouble(), onTime.GetProperty("target_minutes").GetDouble(), onTime.GetProperty("met").GetBoolean()));
    }

    [Fact]
    public async Task Status_OnAnEmptyCatalog_SaysNothingIsDue_RatherThanZeroPercent()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Issuer.Token(GcpShapedHost.PlayerAudience, "operator@example.com"));

        using HttpResponseMessage response = await host.Client.SendAsync(request);

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement onTime = json.RootElement.GetProperty("archived_within_target");
        Assert.Equal(JsonValueKind.Null, onTime.GetProperty("share").ValueKind);
        Assert.Equal(JsonValueKind.Null, onTime.GetProperty("met").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("oldest_unverified").ValueKind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("other-audience")]
    public async Task Status_OnGcp_NeedsAUsersIdTokenForThePlayerAudience(string? audience)
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        if (audience is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Issuer.Token(audience, "operator@example.com"));
        }

        using HttpResponseMessage response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Status_OnTheEmbeddedBackend_IsServedWithTheApiToken()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("bytes"));

        using HttpResponseMessage response = await host.Client.GetAsync("/api/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, json.RootElement.GetProperty("counts").EnumerateObject().Sum(p => p.Value.GetInt32()));
    }

    [Fact]
    public async Task GetUrl_OnTheGcpBackend_IsAV4SignedUrlOfTheArchivedObject()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("bytes"));
        await new Cctv.Functions.Finalize.ArchiveService(host.Store, host.Catalog, new(GcpShapedHost.Staging, GcpShapedHost.Archive),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Cctv.Functions.Finalize.ArchiveService>.Instance).ProcessAsync(a.StagingObject, CancellationToken.None);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/recordings/{a.Id}/get_url/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Issuer.Token(GcpShapedHost.PlayerAudience, GcpShapedHost.OperatorEmail));

        using HttpResponseMessage response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        string url = json.RootElement.GetProperty("url").GetString()!;
        Recording archived = (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.StartsWith($"https://storage.googleapis.com/{GcpShapedHost.Archive}/{archived.ArchiveObject}?X-Goog-Algorithm=GOOG4-RSA-SHA256&", url, StringComparison.Ordinal);
        Assert.Contains("X-Goog-Expires=7200&", url, StringComparison.Ordinal);
        Assert.Contains("response-content-type=video%2Fmp4", url, StringComparison.Ordinal);
        Assert.Equal(120, json.RootElement.GetProperty("expires_in_minutes").GetInt32());
        Assert.Equal("gcp", json.RootElement.GetProperty("storage_type").GetString());
    }
}
