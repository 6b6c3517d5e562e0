using Cctv.Shared.Domain;

namespace Cctv.Shared.Tests;

/// <summary>The recorder-claim part of the catalog contract: a recorder ID belongs to the first installation key. Runs on SQLite and on the Firestore emulator.</summary>
public abstract partial class CatalogContractTests
{
    private static RecorderClaim Claim(string recorder, char key, string? machine = "m1") =>
        new(recorder, new string(key, 64), machine, $"sa-{key}@example.iam.gserviceaccount.com", $"host-{key}", T0);

    [Fact]
    public async Task RecorderClaim_FirstClaimWins_TheSameKeyAgainIsFine_AnotherKeyGetsTheFirstOnesClaim()
    {
        Assert.Null(await Catalog.GetRecorderClaimAsync("demo", CancellationToken.None));
        Clock.Advance(TimeSpan.FromMinutes(5));

        RecorderClaim first = await Catalog.ClaimRecorderAsync(Claim("demo", 'a'), CancellationToken.None);
        RecorderClaim again = await Catalog.ClaimRecorderAsync(Claim("demo", 'a'), CancellationToken.None);
        RecorderClaim other = await Catalog.ClaimRecorderAsync(Claim("demo", 'b', "m2"), CancellationToken.None);
        RecorderClaim otherId = await Catalog.ClaimRecorderAsync(Claim("demo-2", 'b', "m2"), CancellationToken.None);

        Assert.Equal((new string('a', 64), "m1", "sa-a@example.iam.gserviceaccount.com", "host-a", T0.AddMinutes(5)),
            (first.KeyFingerprint, first.MachineIdHash, first.Principal, first.Host, first.ClaimedAt));
        Assert.Null(RecorderClaim.Refusal(again, Claim("demo", 'a')));
        Assert.Equal(new string('a', 64), other.KeyFingerprint);
        string refusal = RecorderClaim.Refusal(other, Claim("demo", 'b', "m2"))!;
        Assert.Contains("'demo' is already claimed by another installation", refusal, StringComparison.Ordinal);
        Assert.Contains("sa-a@example.iam.gserviceaccount.com on host host-a, claimed 2026-01-15 03:05:00 UTC", refusal, StringComparison.Ordinal);
        Assert.Contains("recorder release --recorder demo", refusal, StringComparison.Ordinal);
        Assert.Equal(new string('b', 64), otherId.KeyFingerprint);
        Assert.Equal(new string('a', 64), (await Catalog.GetRecorderClaimAsync("demo", CancellationToken.None))!.KeyFingerprint);
    }

    [Fact]
    public async Task RecorderClaim_TheSameKeyFromAnotherMachine_IsRefused()
    {
        RecorderClaim stored = await Catalog.ClaimRecorderAsync(Claim("demo", 'a', "m1"), CancellationToken.None);
        RecorderClaim copied = await Catalog.ClaimRecorderAsync(Claim("demo", 'a', "m2"), CancellationToken.None);

        Assert.Equal("m1", copied.MachineIdHash);
        Assert.Contains("from another machine", RecorderClaim.Refusal(copied, Claim("demo", 'a', "m2")), StringComparison.Ordinal);
        Assert.Null(RecorderClaim.Refusal(stored, Claim("demo", 'a', null))); // a machine without a machine-id is told apart by its key only
    }

    [Fact]
    public async Task RecorderClaim_RacingFirstClaims_ExactlyOneWins_AndEveryoneIsToldWhich()
    {
        RecorderClaim[] results = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => Catalog.ClaimRecorderAsync(Claim("demo", (char)('a' + i)), CancellationToken.None))));

        string winner = Assert.Single(results.Select(r => r.KeyFingerprint).Distinct());
        Assert.Equal(winner, (await Catalog.GetRecorderClaimAsync("demo", CancellationToken.None))!.KeyFingerprint);
        Assert.All(results, r => Assert.Equal("host-" + winner[0], r.Host));
    }

    [Fact]
    public async Task RecorderClaim_Released_IsKeptOnRecord_ThenTheNextInstallationClaimsIt()
    {
        await Catalog.ClaimRecorderAsync(Claim("demo", 'a'), CancellationToken.None);
        Clock.Advance(TimeSpan.FromDays(1));

        RecorderClaim? released = await Catalog.ReleaseRecorderClaimAsync("demo", "ops@example.com", "recorder hardware replaced", CancellationToken.None);
        RecorderClaim? again = await Catalog.ReleaseRecorderClaimAsync("demo", "ops@example.com", "twice", CancellationToken.None);
        RecorderClaim? never = await Catalog.ReleaseRecorderClaimAsync("nobody", "ops@example.com", "no such", CancellationToken.None);
        RecorderClaim onRecord = (await Catalog.GetRecorderClaimAsync("demo", CancellationToken.None))!;
        Clock.Advance(TimeSpan.FromMinutes(1));
        RecorderClaim next = await Catalog.ClaimRecorderAsync(Claim("demo", 'b', "m2"), CancellationToken.None);
        RecorderClaim third = await Catalog.ClaimRecorderAsync(Claim("demo", 'c', "m3"), CancellationToken.None);

        Assert.Equal((new string('a', 64), T0.AddDays(1), "ops@example.com", "recorder hardware replaced"),
            (released!.KeyFingerprint, released.ReleasedAt, released.ReleasedBy, released.ReleaseReason));
        Assert.Null(again);
        Assert.Null(never);
        Assert.True(onRecord.IsReleased);
        Assert.Equal("recorder hardware replaced", onRecord.ReleaseReason);
        Assert.Equal((new string('b', 64), "m2", T0.AddDays(1).AddMinutes(1), false, new string('a', 64)),
            (next.KeyFingerprint, next.MachineIdHash, next.ClaimedAt, next.IsReleased, next.PreviousFingerprint));
        Assert.Equal(new string('b', 64), third.KeyFingerprint);
        Assert.Equal(next, await Catalog.GetRecorderClaimAsync("demo", CancellationToken.None));
    }
}
