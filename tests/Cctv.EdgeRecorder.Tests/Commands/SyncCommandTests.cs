using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Commands;

public sealed class SyncCommandTests : IDisposable
{
    private readonly TempDir _data = new("sync");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task ForcedSync_OfASegmentInTheBucketWhoseLocalCopyIsGone_LeavesItUploaded_NeverLost()
    {
        var backend = new LocalBackend(_data.Path, TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog, o => o.DataDir = _data.Path);
        OutboxSegment gone = rig.Seal(4000), kept = rig.Seal(4000);
        Assert.Equal(2, await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
        long generation = rig.Outbox.Get(gone.Id)!.Generation!.Value;
        File.Delete(gone.Path);

        int exit = await SyncCommand.RunAsync(rig.Context.Options, new SyncSettings(DryRun: false, BatchSize: 50, SkipMissing: true, Force: true, RecordingId: null),
            rig.Logs, CancellationToken.None);

        Assert.Equal(0, exit);
        OutboxSegment row = rig.Outbox.Get(gone.Id)!;
        Assert.Equal((EdgeState.Uploaded, (long?)generation, (string?)null), (row.State, row.Generation, row.LastError));
        Assert.Equal(EdgeState.Uploaded, rig.Outbox.Get(kept.Id)!.State); // sent again, create-only: confirmed
        Assert.Empty(rig.Outbox.ListByState(EdgeState.Lost, 10));
        Assert.NotNull(await backend.Store.GetAsync(LocalBackend.StagingBucket, gone.ObjectName, CancellationToken.None));
    }

    [Fact]
    public async Task RowsForceSentAgain_WhoseFilesGoBeforeTheirUpload_ReturnToUploaded_NotLost()
    {
        var backend = new LocalBackend(_data.Path, TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog, o => o.DataDir = _data.Path);
        OutboxSegment byUploader = rig.Seal(4000), byScan = rig.Seal(4000);
        rig.Uploaded(byUploader, generation: 9);
        rig.Uploaded(byScan, generation: 10);
        Assert.Equal(2, rig.Outbox.RequeueUploaded(null));
        File.Delete(byUploader.Path);
        File.Delete(byScan.Path);

        Assert.Equal(0, await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None, onlyId: byUploader.Id));
        Assert.Equal(0, rig.Context.CreateSpoolScanner().Scan(atStart: true).RowsWithoutFile);

        Assert.Equal((EdgeState.Uploaded, (long?)9), (rig.Outbox.Get(byUploader.Id)!.State, rig.Outbox.Get(byUploader.Id)!.Generation));
        Assert.Equal((EdgeState.Uploaded, (long?)10), (rig.Outbox.Get(byScan.Id)!.State, rig.Outbox.Get(byScan.Id)!.Generation));
        Assert.Empty(rig.Outbox.ListByState(EdgeState.Lost, 10));
    }

    [Fact]
    public async Task Sync_UploadsTheEvidenceChainOfWhatItUploads_WhenTheAgentDoesNotUpload()
    {
        var backend = new LocalBackend(_data.Path, TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog, o =>
        {
            o.DataDir = _data.Path;
            o.AutoUpload = false; // the agent records, signs and keeps; uploads are the operator's sync
        });
        OutboxSegment[] sealedNow = [rig.Seal(4000), rig.Seal(4000)];
        Assert.Equal(0, await rig.Context.CreateManifestPublisher().PublishAsync(upload: false, CancellationToken.None)); // signed by the agent, not sent
        sealedNow = [.. sealedNow, rig.Seal(4000)]; // sealed since: not due for the agent's next signature for a minute

        int exit = await SyncCommand.RunAsync(rig.Context.Options, new SyncSettings(DryRun: false, BatchSize: 50, SkipMissing: false, Force: false, RecordingId: null),
            rig.Logs, CancellationToken.None);

        Assert.Equal(0, exit);
        var camera = new CameraKey(rig.Context.Options.Id, sealedNow[0].CameraId);
        var files = new List<ManifestFile>();
        await foreach (Cctv.Shared.Ports.StoredObject o in backend.Store.ListAsync(LocalBackend.StagingBucket, ObjectNames.ManifestPrefix, CancellationToken.None))
        {
            await using Stream s = await backend.Store.OpenReadAsync(LocalBackend.StagingBucket, o.Name, CancellationToken.None);
            using var buffer = new MemoryStream();
            await s.CopyToAsync(buffer);
            files.Add(ManifestFile.Parse(buffer.ToArray()));
        }
        var keys = (await backend.Catalog.ListRecorderKeysAsync(camera.RecorderId, CancellationToken.None)).Select(k => EvidencePublicKey.FromBase64(k.PublicKey)).ToList();
        ChainReport report = ChainVerifier.Verify(new ChainEvidence(camera, files.Select(f => f.Manifest).ToList(), files.SelectMany(f => f.Entries).ToList(), keys));
        Assert.True(report.IsIntact, string.Join("; ", report.Breaks));
        Assert.Equal(0, report.UnsignedEntries);
        Assert.Equal(sealedNow.Select(s => s.Id), report.Entries.Select(e => e.RecordingId));
    }
}
