using Cctv.Benchmarks.Loadgen;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The load generator on the gcp backend (the sharded Firestore catalog on the emulator, the GCS adapter against the
/// test GCS server, the Pub/Sub topics): recorders of two sites with a camera `cam1` each, events delivered
/// concurrently and a quarter of them twice; every segment archived exactly once.
/// </summary>
public sealed class LoadgenGcpTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task SmallRun_OnTheGcpBackend_ArchivesEverySegmentExactlyOnce()
    {
        var options = new LoadOptions(Recorders: 4, Cameras: 2, Seconds: 2, Rate: 15, DuplicateShare: 0.25, Concurrency: 8);
        await using GcpLoadBackend backend = await GcpLoadBackend.StartAsync(CancellationToken.None);

        LoadResult result = await LoadGenerator.RunAsync(options, backend, CancellationToken.None);

        Assert.Empty(result.Problems);
        Assert.Equal(30, result.Segments);
        Assert.True(result.Deliveries > result.Segments, $"no event was delivered twice ({result.Deliveries} deliveries)");
        Assert.Equal(result.Segments, result.AnnounceWrites);
    }
}
