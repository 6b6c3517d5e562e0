using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Functions.Tests.Operator;

/// <summary>The operator's legal-hold command over the embedded backend's catalog.</summary>
public sealed class LegalHoldCommandTests : IDisposable
{
    private readonly TempDir _dir = new("legal-hold");

    private async Task<RecordingAnnouncement> ArchivedAsync(int seq)
    {
        var backend = new LocalBackend(_dir.Path, TimeProvider.System);
        string id = RecordingId.For("r1", "gate", 1, seq);
        var a = new RecordingAnnouncement(id, "r1", "gate", "Gate", 1, seq, DateTimeOffset.UtcNow.AddDays(-40), DateTimeOffset.UtcNow.AddDays(-40).AddSeconds(4),
            10, "aa", "AAAAAA==", "md5", "video/mp4", ObjectNames.Staging("r1", "gate", id));
        await backend.Catalog.AnnounceAsync(a, CancellationToken.None);
        await backend.Catalog.MarkStagedAsync(id, 1, CancellationToken.None);
        await backend.Catalog.MarkArchivedAsync(id, "recordings/gate/x.mp4", 2, CancellationToken.None);
        return a;
    }

    private Task<int> RunAsync(params string[] args) => FunctionsCli.RunAsync(["legal-hold", .. args, "--data-dir", _dir.Path]);

    private async Task<Recording> GetAsync(string id) => (await new LocalBackend(_dir.Path, TimeProvider.System).Catalog.GetAsync(id, CancellationToken.None))!;

    [Fact]
    public async Task Place_KeepsTheReason_AndRelease_LetsRetentionApplyAgain()
    {
        RecordingAnnouncement a = await ArchivedAsync(0);

        Assert.Equal(0, await RunAsync("place", "--recording", a.Id, "--reason", "case 2026-118, asked by J. Doe"));
        Recording held = await GetAsync(a.Id);
        Assert.Equal(0, await RunAsync("place", "--recording", a.Id, "--reason", "again"));
        Assert.Equal(0, await RunAsync("release", "--recording", a.Id));

        Assert.Equal((true, "case 2026-118, asked by J. Doe"), (held.LegalHold, held.LegalHoldReason));
        Assert.False((await GetAsync(a.Id)).LegalHold);
    }

    [Fact]
    public async Task Place_HoldsTheArchivedObjectInTheStore_AndRelease_ReleasesIt()
    {
        RecordingAnnouncement a = await ArchivedAsync(0);
        var store = new LocalBackend(_dir.Path, TimeProvider.System).Store;
        byte[] bytes = "footage"u8.ToArray();
        await store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, "recordings/gate/x.mp4", "video/mp4",
            Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0, new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);

        Assert.Equal(0, await RunAsync("place", "--recording", a.Id, "--reason", "case 2026-118"));
        bool heldInStore = (await store.GetAsync(LocalBackend.ArchiveBucket, "recordings/gate/x.mp4", CancellationToken.None))!.EventBasedHold;
        Assert.Equal(0, await RunAsync("release", "--recording", a.Id));

        Assert.True(heldInStore);
        Assert.False((await store.GetAsync(LocalBackend.ArchiveBucket, "recordings/gate/x.mp4", CancellationToken.None))!.EventBasedHold);
        Assert.True(await store.DeleteAsync(LocalBackend.ArchiveBucket, "recordings/gate/x.mp4", null, CancellationToken.None));
    }

    [Fact]
    public async Task AnUnknownOrExpiredRecording_Is1_AndABadIdOrNoReason_Is2()
    {
        RecordingAnnouncement a = await ArchivedAsync(0);
        await new LocalBackend(_dir.Path, TimeProvider.System).Catalog.MarkExpiredAsync(a.Id, "deleted by retention after 30 days", CancellationToken.None);

        Assert.Equal(1, await RunAsync("place", "--recording", RecordingId.For("x", "y", 1, 1), "--reason", "r"));
        Assert.Equal(1, await RunAsync("place", "--recording", a.Id, "--reason", "too late"));
        Assert.Equal(2, await RunAsync("place", "--recording", "not-an-id", "--reason", "r"));
        Assert.Equal(2, await RunAsync("place", "--recording", a.Id, "--reason", " "));
        Assert.Equal(CloudState.Expired, (await GetAsync(a.Id)).State);
    }

    public void Dispose() => _dir.Dispose();
}
