using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Testing.Gcs;

namespace Cctv.EdgeRecorder.Tests.Commands;

public sealed class EnsureUploadsTests
{
    [Fact]
    public async Task EnsureUploads_TrustsNothing_ConfirmsWhatIsThere_RequeuesWhatIsMissing_AndNeverMakesAConfirmedUploadLost()
    {
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = ["staging"] });
        using GcsObjectStore store = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = server.Endpoint, Anonymous = true }, CancellationToken.None);
        using var rig = new PipelineRig(store, "staging", catalog: null);
        List<OutboxSegment> s = Enumerable.Range(0, 4).Select(_ => rig.Seal(5000)).ToList();
        var uploader = rig.Context.CreateUploader();
        await uploader.UploadDueAsync(CancellationToken.None);
        Assert.All(rig.Outbox.All(), r => Assert.Equal(EdgeState.Uploaded, r.State));

        // Someone deleted two objects from the bucket (a lifecycle rule too short, a person); one file is gone locally too.
        await store.DeleteAsync("staging", s[1].ObjectName, null, CancellationToken.None);
        await store.DeleteAsync("staging", s[2].ObjectName, null, CancellationToken.None);
        File.Delete(s[2].Path);

        EnsureUploadsReport report = await EnsureUploadsCommand.CheckAsync(rig.Context, CancellationToken.None);

        // The one whose local copy is gone was confirmed in the bucket once: it is reported (unsettled), never made lost.
        Assert.Equal(new EnsureUploadsReport(Checked: 4, Confirmed: 2, Verified: 0, Requeued: 1, Expired: 0, Unchecked: 1), report);
        Assert.Equal(EdgeState.Sealed, rig.Outbox.Get(s[1].Id)!.State);
        Assert.Equal(EdgeState.Uploaded, rig.Outbox.Get(s[2].Id)!.State);

        await uploader.UploadDueAsync(CancellationToken.None);
        Assert.Equal(s[1].Crc32C, server.Find("staging", s[1].ObjectName)!.Crc32C);
    }
}
