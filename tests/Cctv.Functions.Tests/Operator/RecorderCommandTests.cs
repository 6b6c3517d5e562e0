using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.Functions.Tests.Operator;

/// <summary>The operator's recorder command over the embedded backend's catalog: releasing a recorder ID's claim is recorded, never silent.</summary>
public sealed class RecorderCommandTests : IDisposable
{
    private readonly TempDir _dir = new("recorder-command");

    private SqliteCatalog Catalog => new LocalBackend(_dir.Path, TimeProvider.System).Catalog;

    private Task<int> RunAsync(params string[] args) => FunctionsCli.RunAsync(["recorder", .. args, "--data-dir", _dir.Path]);

    private static RecorderClaim Claim(string recorder, char key) => new(recorder, new string(key, 64), "m1", null, "box-" + key, DateTimeOffset.UtcNow);

    [Fact]
    public async Task Release_KeepsWhoAndWhy_ThenTheNextInstallationClaimsTheId_AndOtherRecordersKeepTheirs()
    {
        await Catalog.ClaimRecorderAsync(Claim("site-a", 'a'), CancellationToken.None);
        await Catalog.ClaimRecorderAsync(Claim("site-b", 'b'), CancellationToken.None);

        Assert.Equal(0, await RunAsync("show", "--recorder", "site-a"));
        Assert.Equal(0, await RunAsync("release", "--recorder", "site-a", "--reason", "NVR board replaced, ticket 4411", "--by", "ops@example.com"));
        RecorderClaim released = (await Catalog.GetRecorderClaimAsync("site-a", CancellationToken.None))!;
        Assert.Equal(1, await RunAsync("release", "--recorder", "site-a", "--reason", "again"));
        RecorderClaim next = await Catalog.ClaimRecorderAsync(Claim("site-a", 'c'), CancellationToken.None);

        Assert.Equal((true, "ops@example.com", "NVR board replaced, ticket 4411", new string('a', 64)),
            (released.IsReleased, released.ReleasedBy, released.ReleaseReason, released.KeyFingerprint));
        Assert.Equal((new string('c', 64), new string('a', 64)), (next.KeyFingerprint, next.PreviousFingerprint));
        Assert.False((await Catalog.GetRecorderClaimAsync("site-b", CancellationToken.None))!.IsReleased);
    }

    [Fact]
    public async Task Release_OfAnUnclaimedId_Is1_AndABadIdOrNoReason_Is2_ChangingNothing()
    {
        await Catalog.ClaimRecorderAsync(Claim("site-a", 'a'), CancellationToken.None);

        Assert.Equal(1, await RunAsync("release", "--recorder", "nobody", "--reason", "r"));
        Assert.Equal(2, await RunAsync("release", "--recorder", "Site A/..", "--reason", "r"));
        Assert.Equal(2, await RunAsync("release", "--recorder", "site-a", "--reason", "  "));
        Assert.Equal(2, await RunAsync("release", "--recorder", "site-a")); // --reason is required: a parse error is bad arguments (2)
        Assert.Equal(2, await RunAsync("release", "--recorder", "site-a", "--reason", "r", "--no-such-option"));

        Assert.False((await Catalog.GetRecorderClaimAsync("site-a", CancellationToken.None))!.IsReleased);
        Assert.Null(await Catalog.GetRecorderClaimAsync("nobody", CancellationToken.None));
    }

    public void Dispose() => _dir.Dispose();
}
