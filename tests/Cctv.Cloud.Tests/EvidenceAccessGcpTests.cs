using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Auth;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Sites;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The audit of reads and legal holds on the gcp backend: the functions host over the Firestore emulator and the test
/// GCS server, with two sites whose recorders both have a cam1.
/// </summary>
[Collection(EmulatorsCollection.Name)]
[Trait("Category", "Slow")]
public sealed class EvidenceAccessGcpTests(EmulatorsFixture emulators)
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<(TwoSites Sites, Dictionary<string, string> Keys)> SeedAsync(GcpStack stack)
    {
        TwoSites sites = await TwoSites.SeedAsync(stack.Catalog, DateTimeOffset.UtcNow.AddMinutes(-30), 2, stack.Store, GcpStack.ArchiveBucket, None);
        var keys = new Dictionary<string, string>();
        foreach (string name in (string[])[TwoSites.KeyA, TwoSites.KeyB, TwoSites.KeyOperator])
        {
            keys[name] = (await ApiKeys.CreateAsync(stack.Catalog, name, TimeProvider.System, None)).Key;
        }
        return (sites, keys);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(GcpStack stack, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using HttpResponseMessage response = await stack.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Playlists_AreRecordedInTheFirestoreAudit_AndOnlyAnOperatorReadsIt_ByCameraKey()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        (TwoSites sites, Dictionary<string, string> keys) = await SeedAsync(stack);
        string range = $"from={Uri.EscapeDataString(RecordingItem.Iso(sites.Start.AddMinutes(-1)))}&to={Uri.EscapeDataString(RecordingItem.Iso(sites.Start.AddMinutes(5)))}";

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(stack, $"/api/cameras/rec-a~cam1/playlist.m3u8?{range}", keys[TwoSites.KeyA])).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(stack, $"/api/cameras/cam1/playlist.m3u8?{range}", keys[TwoSites.KeyB])).Status);

        (HttpStatusCode status, string body) = await GetAsync(stack, "/api/audit", keys[TwoSites.KeyOperator]);
        Assert.True(status == HttpStatusCode.OK, body);
        JsonElement[] all = [.. JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(["rec-a~cam1 key:" + TwoSites.KeyA, "rec-b~cam1 key:" + TwoSites.KeyB],
            all.Select(e => $"{e.GetProperty("camera_key").GetString()} {e.GetProperty("principal").GetString()}").Order(StringComparer.Ordinal));
        Assert.All(all, e => Assert.Equal("playlist", e.GetProperty("action").GetString()));

        (_, string ofA) = await GetAsync(stack, "/api/audit?camera=rec-a~cam1", keys[TwoSites.KeyOperator]);
        Assert.Equal(["key:" + TwoSites.KeyA], JsonDocument.Parse(ofA).RootElement.GetProperty("results").EnumerateArray().Select(e => e.GetProperty("principal").GetString()));
        (HttpStatusCode bare, _) = await GetAsync(stack, "/api/audit?camera=cam1", keys[TwoSites.KeyOperator]);
        Assert.Equal(HttpStatusCode.BadRequest, bare);
        (HttpStatusCode forSiteA, string refused) = await GetAsync(stack, "/api/audit", keys[TwoSites.KeyA]);
        Assert.Equal(HttpStatusCode.NotFound, forSiteA);
        Assert.DoesNotContain(TwoSites.KeyB, refused);
    }

    [Fact]
    public async Task LegalHolds_ReachTheGcsObject_ACatalogOnlyHoldIsCompletedByTheSweep_AndReleaseLetsADeleteThrough()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        (TwoSites sites, _) = await SeedAsync(stack);
        var holds = new LegalHolds(stack.Catalog, stack.Store, GcpStack.ArchiveBucket);
        Recording placed = sites.Recordings[TwoSites.ACam1][0];
        Recording crashed = sites.Recordings[TwoSites.ACam1][1];
        Recording otherSites = sites.Recordings[TwoSites.BCam1][0];

        HoldResult result = await holds.PlaceAsync(placed.Id, "case 2026-118", None);
        await stack.Catalog.SetLegalHoldAsync(crashed.Id, true, "case 2026-118", None); // the command died before the object step
        bool crashedHeldBefore = stack.Gcs.Find(GcpStack.ArchiveBucket, crashed.ArchiveObject!)!.EventBasedHold;
        using JsonDocument report = await stack.SweepAsync();

        Assert.Equal((TransitionOutcome.Applied, true), (result.Catalog, result.Storage));
        Assert.True(stack.Gcs.Find(GcpStack.ArchiveBucket, placed.ArchiveObject!)!.EventBasedHold);
        Assert.False(crashedHeldBefore);
        Assert.True(stack.Gcs.Find(GcpStack.ArchiveBucket, crashed.ArchiveObject!)!.EventBasedHold, report.RootElement.GetRawText());
        Assert.False(stack.Gcs.Find(GcpStack.ArchiveBucket, otherSites.ArchiveObject!)!.EventBasedHold);
        ObjectStoreException refused = await Assert.ThrowsAsync<ObjectStoreException>(() =>
            stack.Store.DeleteAsync(GcpStack.ArchiveBucket, placed.ArchiveObject!, null, None));
        Assert.Equal(ObjectStoreError.Permanent, refused.Error);

        HoldResult released = await holds.ReleaseAsync(placed.Id, None);

        Assert.Equal((TransitionOutcome.Applied, false), (released.Catalog, released.Storage));
        Assert.False((await stack.Catalog.GetAsync(placed.Id, None))!.LegalHold);
        Assert.True(await stack.Store.DeleteAsync(GcpStack.ArchiveBucket, placed.ArchiveObject!, null, None));
    }
}
