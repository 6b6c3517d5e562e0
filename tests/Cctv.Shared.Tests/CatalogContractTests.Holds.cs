using Cctv.Shared.Domain;
using Cctv.TestSupport.Sites;

namespace Cctv.Shared.Tests;

/// <summary>The recordings under a legal hold, as the sweep lists them to hold their objects in storage too.</summary>
public abstract partial class CatalogContractTests
{
    [Fact]
    public async Task LegalHolds_ListsExactlyTheHeldRecordings_InIdOrder_InPages()
    {
        TwoSites sites = await SeedTwoSitesAsync(3);
        List<string> held = [.. sites.Recordings[TwoSites.ACam1].Select(r => r.Id).Append(sites.Recordings[TwoSites.BDock][1].Id)];
        foreach (string id in held)
        {
            await Catalog.SetLegalHoldAsync(id, true, "case 7", None);
        }
        string released = sites.Recordings[TwoSites.BCam1][0].Id;
        await Catalog.SetLegalHoldAsync(released, true, "case 8", None);
        await Catalog.SetLegalHoldAsync(released, false, null, None);

        var listed = new List<string>();
        string? after = null;
        while (true)
        {
            IReadOnlyList<Recording> page = await Catalog.ListLegalHoldsAsync(after, 2, None);
            Assert.All(page, r => Assert.True(r.LegalHold));
            listed.AddRange(page.Select(r => r.Id));
            if (page.Count < 2)
            {
                break;
            }
            after = page[^1].Id;
        }

        Assert.Equal(held.Order(StringComparer.Ordinal), listed);
        Assert.Empty(await Catalog.ListLegalHoldsAsync(null, 0, None));
    }
}
