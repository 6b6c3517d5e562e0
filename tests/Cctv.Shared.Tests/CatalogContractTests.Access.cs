using Cctv.Shared.Domain;

namespace Cctv.Shared.Tests;

/// <summary>The access part of the catalog contract: recorders' sites, grants, API keys. Runs on SQLite and on the Firestore emulator.</summary>
public abstract partial class CatalogContractTests
{
    [Fact]
    public async Task RecorderSites_AssignAndMove_TheListHasEachRecorderOnce()
    {
        Assert.Empty(await Catalog.ListRecorderSitesAsync(CancellationToken.None));
        await Catalog.SetRecorderSiteAsync(new RecorderSite("r1", "hq"), CancellationToken.None);
        await Catalog.SetRecorderSiteAsync(new RecorderSite("r2", "depot"), CancellationToken.None);
        await Catalog.SetRecorderSiteAsync(new RecorderSite("r1", "warehouse"), CancellationToken.None);

        IReadOnlyDictionary<string, string> sites = await Catalog.ListRecorderSitesAsync(CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { ["r1"] = "warehouse", ["r2"] = "depot" }, sites.OrderBy(p => p.Key).ToDictionary());
    }

    [Fact]
    public async Task Grants_AreIdempotent_PerPrincipal_AndRevokedOnlyOnce()
    {
        const string alice = "user:alice@example.com";
        await Catalog.GrantAsync(AccessGrant.ToSite(alice, "hq"), CancellationToken.None);
        await Catalog.GrantAsync(AccessGrant.ToSite(alice, "hq"), CancellationToken.None);
        await Catalog.GrantAsync(AccessGrant.ToCamera(alice, new CameraKey("r1", "gate")), CancellationToken.None);
        await Catalog.GrantAsync(AccessGrant.ToSite("user:bob@example.com", "depot"), CancellationToken.None);
        await Catalog.GrantAsync(AccessGrant.ToEverything("key:ops"), CancellationToken.None);

        Assert.Equal([AccessGrant.ToCamera(alice, new CameraKey("r1", "gate")), AccessGrant.ToSite(alice, "hq")], await Catalog.ListGrantsAsync(alice, CancellationToken.None));
        Assert.Equal([AccessGrant.ToEverything("key:ops")], await Catalog.ListGrantsAsync("key:ops", CancellationToken.None));
        Assert.Empty(await Catalog.ListGrantsAsync("user:mallory@example.com", CancellationToken.None));

        Assert.True(await Catalog.RevokeAsync(AccessGrant.ToSite(alice, "hq"), CancellationToken.None));
        Assert.False(await Catalog.RevokeAsync(AccessGrant.ToSite(alice, "hq"), CancellationToken.None));
        Assert.False(await Catalog.RevokeAsync(AccessGrant.ToSite(alice, "depot"), CancellationToken.None));
        Assert.Equal([AccessGrant.ToCamera(alice, new CameraKey("r1", "gate"))], await Catalog.ListGrantsAsync(alice, CancellationToken.None));

        await Catalog.GrantAsync(AccessGrant.ToSite(alice, "hq"), CancellationToken.None); // granted again after a revocation
        Assert.Equal(2, (await Catalog.ListGrantsAsync(alice, CancellationToken.None)).Count);
    }

    [Theory]
    [InlineData("alice@example.com", "site", "hq")]
    [InlineData("user:alice@example.com", "site", "HQ/../x")]
    [InlineData("user:alice@example.com", "all", "hq")]
    [InlineData("key:Bad Name", "site", "hq")]
    [InlineData("user:alice@example.com", "camera", "cam1")] // a bare camera ID: another site may have a cam1
    [InlineData("user:alice@example.com", "camera", "rec-a~cam1~x")]
    [InlineData("user:alice@example.com", "site-camera", "site-a")]
    public async Task Grants_WithAMalformedPrincipalOrScope_AreRefused(string principal, string scope, string id)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Catalog.GrantAsync(new AccessGrant(principal, GrantScopeNames.ParseScope(scope), id), CancellationToken.None));
    }

    [Fact]
    public async Task ApiKeys_KeepOnlyTheHash_RefuseADuplicateId_AndRevokeOnce()
    {
        var key = new ApiKeyRecord("k1a2b3", "key:nvr-export", new string('a', 64), T0);
        await Catalog.CreateApiKeyAsync(key, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog.CreateApiKeyAsync(key with { Principal = "key:other" }, CancellationToken.None));

        Assert.Equal(key, await Catalog.GetApiKeyAsync("k1a2b3", CancellationToken.None));
        Assert.Null(await Catalog.GetApiKeyAsync("nope", CancellationToken.None));
        Assert.Null(await Catalog.GetApiKeyAsync("../k1a2b3", CancellationToken.None));

        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await Catalog.RevokeApiKeyAsync("k1a2b3", CancellationToken.None));
        Assert.False(await Catalog.RevokeApiKeyAsync("k1a2b3", CancellationToken.None));
        Assert.False(await Catalog.RevokeApiKeyAsync("nope", CancellationToken.None));
        Assert.Equal(T0.AddMinutes(5), (await Catalog.GetApiKeyAsync("k1a2b3", CancellationToken.None))!.RevokedAt);
    }

    [Fact]
    public async Task Secrets_TheFirstOfManyRacingCallersWins_AndEveryoneGetsItsValue()
    {
        string[] got = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => Catalog.GetOrCreateSecretAsync("playback-links", "candidate-" + i, CancellationToken.None))));

        Assert.Single(got.Distinct());
        Assert.StartsWith("candidate-", got[0], StringComparison.Ordinal);
        Assert.Equal(got[0], await Catalog.GetOrCreateSecretAsync("playback-links", "late", CancellationToken.None));
        Assert.Equal("other", await Catalog.GetOrCreateSecretAsync("other-secret", "other", CancellationToken.None));
    }
}
