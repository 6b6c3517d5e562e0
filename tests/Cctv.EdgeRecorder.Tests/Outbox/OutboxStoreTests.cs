using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Outbox;

public sealed class OutboxStoreTests : IDisposable
{
    private readonly TempDir _cloud = new("cloud");
    private readonly LocalBackend _backend;

    public OutboxStoreTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    private PipelineRig Rig() => new(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);

    [Fact]
    public void StateChanges_AreCompareAndSetOnTheExpectedState_ALostRaceChangesNothing()
    {
        using PipelineRig rig = Rig();
        OutboxSegment s = rig.Seal(1000);

        Assert.False(rig.Outbox.MarkUploaded(s.Id, 7)); // not claimed: no upload can have finished
        rig.Claim(s);
        Assert.False(rig.Outbox.MarkLost(s.Id, "disk full", [EdgeState.Sealed, EdgeState.Failed])); // what the budget saw is stale
        Assert.Equal(EdgeState.Uploading, rig.Outbox.Get(s.Id)!.State);
        Assert.True(rig.Outbox.MarkUploaded(s.Id, 7));
        Assert.False(rig.Outbox.MarkUploaded(s.Id, 8));
        Assert.False(rig.Outbox.MarkFailed(s.Id, "late failure", DateTimeOffset.UtcNow));
        Assert.False(rig.Outbox.MarkEvicted(s.Id));
        Assert.False(rig.Outbox.RequeueForUpload(s.Id, EdgeState.Uploading, "late shutdown"));
        Assert.True(rig.Outbox.MarkVerified(s.Id));
        Assert.False(rig.Outbox.MarkLost(s.Id, "catalog says lost", [EdgeState.Uploaded]));

        OutboxSegment row = rig.Outbox.Get(s.Id)!;
        Assert.Equal((EdgeState.Verified, (long?)7, (string?)null, 0), (row.State, row.Generation, row.LastError, row.Attempts));
    }

    [Fact]
    public void ForcedRequeue_TakesOnlyRowsWhoseFileExists_AndNeverExpiredOnes()
    {
        using PipelineRig rig = Rig();
        OutboxSegment withFile = rig.Seal(1000), fileGone = rig.Seal(1000), verifiedGone = rig.Seal(1000), expired = rig.Seal(1000);
        foreach (OutboxSegment s in new[] { withFile, fileGone, verifiedGone, expired })
        {
            rig.Uploaded(s, 5);
        }
        Assert.True(rig.Outbox.MarkVerified(verifiedGone.Id));
        Assert.True(rig.Outbox.MarkExpired(expired.Id, "retention"));
        File.Delete(fileGone.Path);
        File.Delete(verifiedGone.Path);

        Assert.Equal(1, rig.Outbox.RequeueUploaded(null));

        Assert.Equal(EdgeState.Sealed, rig.Outbox.Get(withFile.Id)!.State);
        Assert.Equal(EdgeState.Uploaded, rig.Outbox.Get(fileGone.Id)!.State);
        Assert.Equal(EdgeState.Verified, rig.Outbox.Get(verifiedGone.Id)!.State);
        Assert.Equal(EdgeState.Expired, rig.Outbox.Get(expired.Id)!.State);
        Assert.Empty(rig.Outbox.ListByState(EdgeState.Lost, 10));
    }
}
