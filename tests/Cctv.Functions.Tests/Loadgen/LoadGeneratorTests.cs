using Cctv.Benchmarks.Loadgen;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.Functions.Tests.Loadgen;

/// <summary>
/// The load generator (tests/Cctv.Benchmarks/Loadgen, compiled in here too) at a small size, as CI runs it: recorders of
/// two sites that all have a camera called cam1, events delivered concurrently and some twice; every segment must be
/// archived exactly once. The larger runs are in README.
/// </summary>
public sealed class LoadGeneratorTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task SmallRun_TwoSitesReusingCam1_WithDuplicateEvents_ArchivesEverySegmentExactlyOnce()
    {
        using var dir = new TempDir("loadgen");
        var options = new LoadOptions(Recorders: 4, Cameras: 2, Seconds: 2, Rate: 40, DuplicateShare: 0.25, Concurrency: 8);

        LoadResult result = await LoadGenerator.RunAsync(options, dir.Path, CancellationToken.None);

        Assert.Empty(result.Problems);
        Assert.Equal(80, result.Segments);
        Assert.True(result.Deliveries > result.Segments, $"no event was delivered twice ({result.Deliveries} deliveries)");
        Assert.Equal(result.Deliveries, result.Latencies.Count);
        // Both sites' cam1 were recorded and archived: recorder IDs differ, camera IDs do not.
        var catalog = new SqliteCatalog(Path.Combine(dir.Path, "cloud", "catalog.db"), TimeProvider.System);
        var archived = await catalog.ListByStateAsync(CloudState.Archived, 1000, CancellationToken.None);
        Assert.Equal(80, archived.Count);
        Assert.Contains(archived, r => r.Announcement.RecorderId == LoadGenerator.RecorderId(0) && r.CameraId == "cam1");
        Assert.Contains(archived, r => r.Announcement.RecorderId == LoadGenerator.RecorderId(1) && r.CameraId == "cam1");
        IReadOnlyDictionary<string, string> sites = await catalog.ListRecorderSitesAsync(CancellationToken.None);
        Assert.Equal(("site-a", "site-b"), (sites[LoadGenerator.RecorderId(0)], sites[LoadGenerator.RecorderId(1)]));
        Assert.True(result.AnnounceWrites == result.Segments, $"{result.AnnounceWrites} catalog writes to announce {result.Segments} segments");
        Assert.True(result.FinalizeWrites >= 2 * result.Segments, $"{result.FinalizeWrites} catalog writes to stage and archive {result.Segments} segments");
    }

    [Fact]
    public void Options_ThatCannotRun_AreRefusedNamingTheOption()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new LoadOptions(0, 2, 1).Validate());
        Assert.Contains("--recorders", e.Message);
        Assert.Contains("--duplicates", Assert.Throws<ArgumentException>(() => new LoadOptions(1, 1, 1, DuplicateShare: 2).Validate()).Message);
    }
}
