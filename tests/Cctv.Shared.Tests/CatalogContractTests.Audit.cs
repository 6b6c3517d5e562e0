using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Sites;

namespace Cctv.Shared.Tests;

/// <summary>
/// The audit of reads: append-only entries stamped with the catalog's clock, read newest first in pages, limited to a
/// scope inside the query. Two sites whose recorders both have cam1. Runs on SQLite and on the Firestore emulator.
/// </summary>
public abstract partial class CatalogContractTests
{
    private static AuditRead Read(CameraKey camera, string principal, AuditAction action = AuditAction.GetUrl, params string[] ids) =>
        new(action, principal, "api-key:0123456789ab", camera, ids.Length > 0 ? ids : [RecordingId.For(camera.RecorderId, camera.CameraId, 1, 0)],
            null, null, "203.0.113.7", "198.51.100.1", "0HN-request-1");

    [Fact]
    public async Task Audit_RecordRead_StampsTheCatalogClock_AndReadsBackEveryField()
    {
        Clock.Advance(TimeSpan.FromTicks(1_234)); // sub-millisecond: stored to the millisecond
        var playlist = new AuditRead(AuditAction.Playlist, "user:anna@site-a.example", "id-token", TwoSites.ACam1, [],
            T0.AddHours(-1), T0, "::1", null, "req-2");
        AuditEntry stored = await Catalog.RecordReadAsync(playlist, None);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        AuditEntry byId = await Catalog.RecordReadAsync(Read(TwoSites.BCam1, "key:site-b-client", AuditAction.Download), None);

        AuditPage page = await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, null, null, null, null, null, 10, null), None);

        Assert.Equal(T0, stored.At);
        Assert.True(RecordingId.IsValid(stored.Id), "an audit ID is a lowercase UUID, so the API's page tokens can carry it");
        Assert.Equal([byId, stored], page.Items, new AuditEntryComparer());
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Audit_TwoSitesBothWithCam1_AScopeOfSiteAReadsNoneOfSiteBsEntries()
    {
        await Catalog.RecordReadAsync(Read(TwoSites.ACam1, "user:anna"), None);
        await Catalog.RecordReadAsync(Read(TwoSites.BCam1, "user:boris"), None);
        await Catalog.RecordReadAsync(Read(TwoSites.BDock, "user:boris"), None);
        CatalogScope siteA = CatalogScope.Of([TwoSites.RecA], []);
        CatalogScope cam1OfA = CatalogScope.Of([], [TwoSites.ACam1]);

        AuditPage all = await Catalog.QueryAuditAsync(new AuditQuery(siteA, null, null, null, null, null, 10, null), None);
        AuditPage askedForBCam1 = await Catalog.QueryAuditAsync(new AuditQuery(siteA, TwoSites.BCam1, null, null, null, null, 10, null), None);
        AuditPage askedForRecB = await Catalog.QueryAuditAsync(new AuditQuery(cam1OfA, null, TwoSites.RecB, null, null, null, 10, null), None);
        AuditPage askedForBoris = await Catalog.QueryAuditAsync(new AuditQuery(cam1OfA, null, null, "user:boris", null, null, 10, null), None);

        Assert.Equal([TwoSites.ACam1], all.Items.Select(e => e.Read.Camera));
        Assert.Empty(askedForBCam1.Items);
        Assert.Empty(askedForRecB.Items);
        Assert.Empty(askedForBoris.Items);
        Assert.Empty((await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Nothing, null, null, null, null, null, 10, null), None)).Items);
    }

    [Fact]
    public async Task Audit_FiltersByCameraRecorderPrincipalAndTime_InPagesThatCoverEveryEntryOnce()
    {
        var written = new List<AuditEntry>();
        for (int i = 0; i < 12; i++)
        {
            CameraKey camera = (i % 3) switch { 0 => TwoSites.ACam1, 1 => TwoSites.BCam1, _ => TwoSites.AGate };
            written.Add(await Catalog.RecordReadAsync(Read(camera, i % 2 == 0 ? "user:anna" : "key:robot"), None));
            if (i % 4 != 3)
            {
                Clock.Advance(TimeSpan.FromSeconds(1)); // some entries share a millisecond: the ID orders them
            }
        }

        var paged = new List<AuditEntry>();
        PageCursor? after = null;
        do
        {
            AuditPage page = await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, null, null, null, null, null, 5, after), None);
            Assert.True(page.Items.Count == 5 || page.Next is null, "every page but the last is full");
            paged.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(written.OrderByDescending(e => e.At).ThenByDescending(e => e.Id, StringComparer.Ordinal).Select(e => e.Id), paged.Select(e => e.Id));

        AuditPage aCam1 = await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, TwoSites.ACam1, null, null, null, null, 50, null), None);
        Assert.Equal(written.Where(e => e.Read.Camera == TwoSites.ACam1).Select(e => e.Id).Reverse(), aCam1.Items.Select(e => e.Id));
        AuditPage recA = await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, null, TwoSites.RecA, "key:robot", null, null, 50, null), None);
        Assert.Equal(written.Where(e => e.Read.Camera.RecorderId == TwoSites.RecA && e.Read.Principal == "key:robot").Select(e => e.Id).Reverse(),
            recA.Items.Select(e => e.Id));
        DateTimeOffset from = written[3].At, to = written[8].At;
        AuditPage window = await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, null, null, "user:anna", from, to, 50, null), None);
        Assert.Equal(written.Where(e => e.At >= from && e.At < to && e.Read.Principal == "user:anna").Select(e => e.Id).Reverse().Order(StringComparer.Ordinal),
            window.Items.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.NotEmpty(window.Items);
    }

    [Fact]
    public async Task Audit_AnEntryWithoutWhoOrWhat_OrAPageSizeOutOfBounds_IsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Catalog.RecordReadAsync(Read(TwoSites.ACam1, " "), None));
        await Assert.ThrowsAsync<ArgumentException>(() => Catalog.RecordReadAsync(Read(TwoSites.ACam1, "user:anna") with { RecordingIds = [] }, None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, null, null, null, null, null, AuditQuery.MaxPageSize + 1, null), None));
        Assert.Empty((await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, null, null, null, null, null, 1, null), None)).Items);
    }

    /// <summary>Entries compared by value, the recording IDs by sequence.</summary>
    private sealed class AuditEntryComparer : IEqualityComparer<AuditEntry>
    {
        public bool Equals(AuditEntry? x, AuditEntry? y) =>
            x is not null && y is not null && x.Id == y.Id && x.At == y.At
            && x.Read with { RecordingIds = Array.Empty<string>() } == y.Read with { RecordingIds = Array.Empty<string>() } && x.Read.RecordingIds.SequenceEqual(y.Read.RecordingIds);

        public int GetHashCode(AuditEntry obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
