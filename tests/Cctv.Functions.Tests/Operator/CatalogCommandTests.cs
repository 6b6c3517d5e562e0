using Cctv.Functions.Hosting;
using Cctv.TestSupport;

namespace Cctv.Functions.Tests.Operator;

/// <summary>
/// The operator's catalog command on the embedded backend (its Firestore side, the backfill itself, is tested on the
/// emulator: FirestoreCatalogTests.BackfillShards_*).
/// </summary>
public sealed class CatalogCommandTests : IDisposable
{
    private readonly TempDir _dir = new("catalog-command");

    [Fact]
    public async Task BackfillShards_OnTheEmbeddedBackend_HasNothingToDo()
    {
        Assert.Equal(0, await FunctionsCli.RunAsync(["catalog", "backfill-shards", "--data-dir", _dir.Path]));
    }

    [Fact]
    public async Task BackfillShards_WithAPageSizeFirestoreCannotCommit_Is2()
    {
        Assert.Equal(2, await FunctionsCli.RunAsync(["catalog", "backfill-shards", "--page-size", "501", "--data-dir", _dir.Path]));
        Assert.Equal(2, await FunctionsCli.RunAsync(["catalog", "backfill-shards", "--page-size", "0", "--data-dir", _dir.Path]));
    }

    public void Dispose() => _dir.Dispose();
}
