using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>The full scan makes the spool and the outbox agree both ways.</summary>
public sealed class SpoolScannerTests : LocalCloudTest
{
    private static SpoolScanner ScannerOf(PipelineRig rig) => new(rig.Outbox, rig.Context.Paths.Spool, TimeProvider.System, rig.Logs);

    [Fact]
    public async Task FilesOfARunTheOutboxNeverKnew_AreAdopted_AndThenSealed()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        SealerTests.WriteSegments(rig.Context.Paths.RunDirectory("cam1", 7), files: 2, listed: 2);

        SpoolScanReport report = ScannerOf(rig).Scan(atStart: true);

        Assert.Equal(new SpoolScanReport(1, 0, 0, 0), report);
        CameraRun adopted = Assert.Single(rig.Outbox.AllRuns(), r => r.Run == 7);
        Assert.NotNull(adopted.EndedAt);
        Assert.Equal(2, await rig.Context.CreateSealer().SealAsync(CancellationToken.None));
        Assert.Equal(new SpoolScanReport(0, 0, 0, 0), ScannerOf(rig).Scan(atStart: false)); // nothing left to adopt
    }

    [Fact]
    public void ARowWhoseFileVanishedBeforeUpload_IsRecordedLostWithTheReason()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        OutboxSegment kept = rig.Seal(1000);
        OutboxSegment gone = rig.Seal(1000);
        File.Delete(gone.Path);

        Assert.Equal(new SpoolScanReport(0, 0, 1, 0), ScannerOf(rig).Scan(atStart: false));

        OutboxSegment lost = rig.Outbox.Get(gone.Id)!;
        Assert.Equal(EdgeState.Lost, lost.State);
        Assert.Contains("disappeared before it was uploaded", lost.LastError, StringComparison.Ordinal);
        Assert.Equal(EdgeState.Sealed, rig.Outbox.Get(kept.Id)!.State);
    }
}
