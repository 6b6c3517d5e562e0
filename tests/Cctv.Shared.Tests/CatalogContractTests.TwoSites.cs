using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Sites;

namespace Cctv.Shared.Tests;

/// <summary>
/// The catalog contract with two sites whose recorders both have a camera called cam1 (<see cref="TwoSites"/>): a
/// camera is (recorder, camera), and a query limited to a scope reads only that scope, in full pages whose cursors are
/// rows of the scope. Runs on SQLite and on the Firestore emulator.
/// </summary>
public abstract partial class CatalogContractTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private Task<TwoSites> SeedTwoSitesAsync(int perCamera = 5) => TwoSites.SeedAsync(Catalog, T0, perCamera, ct: None);

    [Fact]
    public async Task TwoSites_SiteBsCam1Starting_DoesNotHideSiteAsCam1()
    {
        TwoSites sites = await SeedTwoSitesAsync(3);
        // Site B's recorder starts again (as after a restart): site A's cam1 stays site A's.
        await Catalog.UpsertCameraAsync(new CameraInfo("cam1", "cam1 renamed by rec-b", TwoSites.RecB), None);

        IReadOnlyList<CameraInfo> cameras = await Catalog.ListCamerasAsync(CatalogScope.Everything, None);

        Assert.Equal([TwoSites.ACam1, TwoSites.AGate, TwoSites.BCam1, TwoSites.BDock], cameras.Select(c => c.Key));
        Assert.Equal(TwoSites.NameOf(TwoSites.ACam1), cameras[0].Name);
        RecordingPage a = await Catalog.QueryAsync(new RecordingQuery([TwoSites.ACam1], null, null, 100, null, CatalogScope.Everything), None);
        Assert.Equal(sites.NewestFirst(TwoSites.ACam1).Select(r => r.Id), a.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task TwoSites_ACameraGrantOnRecASCam1_DoesNotOpenRecBsCam1()
    {
        TwoSites sites = await SeedTwoSitesAsync(3);
        CatalogScope cam1OfA = CatalogScope.Of([], [TwoSites.ACam1]);

        RecordingPage all = await Catalog.QueryAsync(new RecordingQuery(null, null, null, 100, null, cam1OfA), None);
        RecordingPage askedForB = await Catalog.QueryAsync(new RecordingQuery([TwoSites.BCam1], null, null, 100, null, cam1OfA), None);

        Assert.Equal(sites.NewestFirst(TwoSites.ACam1).Select(r => r.Id), all.Items.Select(r => r.Id));
        Assert.Empty(askedForB.Items);
        Assert.Null(askedForB.Next);
        Assert.Equal([TwoSites.ACam1], (await Catalog.ListCamerasAsync(cam1OfA, None)).Select(c => c.Key));
    }

    [Fact]
    public async Task TwoSites_ListingCameras_ShowsOnlyTheScopesRecordersAndCameras()
    {
        await SeedTwoSitesAsync(1);

        Assert.Equal([TwoSites.ACam1, TwoSites.AGate], (await Catalog.ListCamerasAsync(CatalogScope.Of([TwoSites.RecA], []), None)).Select(c => c.Key));
        Assert.Equal([TwoSites.ACam1, TwoSites.BCam1, TwoSites.BDock],
            (await Catalog.ListCamerasAsync(CatalogScope.Of([TwoSites.RecB], [TwoSites.ACam1]), None)).Select(c => c.Key));
        Assert.Empty(await Catalog.ListCamerasAsync(CatalogScope.Nothing, None));
    }

    [Fact]
    public async Task TwoSites_PagingAsASiteRestrictedCaller_GivesFullPages_WhoseCursorsAreAllItsOwnRows()
    {
        TwoSites sites = await SeedTwoSitesAsync(5);
        var own = sites.RecordingsOf(TwoSites.SiteA).Select(r => r.Id).ToHashSet();
        CatalogScope siteA = CatalogScope.Of([TwoSites.RecA], []);

        var seen = new List<string>();
        var sizes = new List<int>();
        PageCursor? after = null;
        do
        {
            RecordingPage page = await Catalog.QueryAsync(new RecordingQuery(null, null, null, 3, after, siteA), None);
            seen.AddRange(page.Items.Select(r => r.Id));
            sizes.Add(page.Items.Count);
            after = page.Next;
            Assert.True(after is null || own.Contains(after.Id), $"the cursor {after?.Id} is not one of site A's recordings");
        }
        while (after is not null);

        Assert.Equal(own.Order(), seen.Order());
        Assert.All(sizes.SkipLast(1), n => Assert.Equal(3, n));
        Assert.Equal([3, 3, 3, 2], sizes); // 2 cameras × 5 archived + 1 lost = 11
    }

    [Fact]
    public async Task TwoSites_PagingWithCameraAndSiteGrants_MergesThemOnceEach_InFullPages()
    {
        TwoSites sites = await SeedTwoSitesAsync(4);
        // Site B's recorder, plus rec-a's cam1 and (again) rec-b's cam1: each recording once.
        CatalogScope scope = CatalogScope.Of([TwoSites.RecB], [TwoSites.ACam1, TwoSites.BCam1]);
        var expected = sites.RecordingsOf(TwoSites.SiteB).Concat(sites.NewestFirst(TwoSites.ACam1))
            .OrderByDescending(r => r.Announcement.StartTime).ThenByDescending(r => r.Id, StringComparer.Ordinal).Select(r => r.Id).ToList();

        var seen = new List<string>();
        PageCursor? after = null;
        do
        {
            RecordingPage page = await Catalog.QueryAsync(new RecordingQuery(null, null, null, 4, after, scope), None);
            Assert.True(page.Items.Count == 4 || page.Next is null, "a page short of its size must be the last");
            seen.AddRange(page.Items.Select(r => r.Id));
            after = page.Next;
        }
        while (after is not null);

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task TwoSites_GapsAndRetention_AreByRecorderAndCamera()
    {
        TwoSites sites = await SeedTwoSitesAsync(2);

        Assert.Equal([sites.Gaps[TwoSites.ACam1].Id], (await Catalog.ListGapsAsync(TwoSites.ACam1, T0.AddHours(-1), T0.AddHours(1), None)).Select(g => g.Id));
        Assert.Equal([sites.Gaps[TwoSites.BCam1].Id], (await Catalog.ListGapsAsync(TwoSites.BCam1, T0.AddHours(-1), T0.AddHours(1), None)).Select(g => g.Id));
        Assert.Equal(sites.Recordings[TwoSites.ACam1].Select(r => r.Id),
            (await Catalog.ListArchivedBeforeAsync(TwoSites.ACam1, T0.AddHours(1), 10, None)).Select(r => r.Id));
        Assert.Empty(await Catalog.ListArchivedBeforeAsync(new CameraKey(TwoSites.RecB, "gate"), T0.AddHours(1), 10, None));
    }
}
