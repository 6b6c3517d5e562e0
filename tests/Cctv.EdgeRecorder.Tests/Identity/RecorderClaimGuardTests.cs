using System.Security.Cryptography;
using Cctv.EdgeRecorder.Identity;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Identity;

/// <summary>
/// Two installations configured with the same recorder ID ("site", each with a camera "cam1", so their first segments
/// get the very same recording ID) against one cloud: the first keeps the ID, the second is refused before it touches it.
/// </summary>
public sealed class RecorderClaimGuardTests : IDisposable
{
    private readonly TempDir _cloud = new("claim-cloud");
    private readonly LocalBackend _backend;

    public RecorderClaimGuardTests() => _backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    private PipelineRig Installation() => new(_backend.Store, LocalBackend.StagingBucket, _backend.Catalog);

    private async Task<List<StoredObject>> ObjectsAsync(string prefix = "incoming/")
    {
        var all = new List<StoredObject>();
        await foreach (StoredObject o in _backend.Store.ListAsync(LocalBackend.StagingBucket, prefix, CancellationToken.None))
        {
            all.Add(o);
        }
        return all;
    }

    [Fact]
    public async Task ASecondInstallationWithTheSameRecorderId_IsRefusedAtStart_WithWhoseItIs_AndWritesOrAnnouncesNothing()
    {
        using PipelineRig first = Installation();
        OutboxSegment theirs = first.Seal(3000);
        await new RecorderAgent(first.Context).RecoverAsync(CancellationToken.None);
        using PipelineRig second = Installation();
        OutboxSegment ours = second.Seal(5000);
        Assert.Equal(theirs.Id, ours.Id); // the collision this guards against

        RecorderClaimRefusedException refused = await Assert.ThrowsAsync<RecorderClaimRefusedException>(
            () => new RecorderAgent(second.Context).RecoverAsync(CancellationToken.None));
        await Assert.ThrowsAsync<RecorderClaimRefusedException>(() => second.Context.CreateCatalogSync().AnnounceAsync(CancellationToken.None));
        await Assert.ThrowsAsync<RecorderClaimRefusedException>(() => second.Context.CreateCatalogSync().HeartbeatAsync(CancellationToken.None));
        await Assert.ThrowsAsync<RecorderClaimRefusedException>(() => second.Context.CreateUploader().UploadDueAsync(CancellationToken.None));

        string firstKey = first.Context.Claims.Identity.Fingerprint;
        Assert.Contains("Recorder ID 'site' is already claimed by another installation", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"installation key {firstKey[..16]} on host {Environment.MachineName}, claimed ", refused.Message, StringComparison.Ordinal);
        Assert.Contains(second.Context.Claims.Identity.Fingerprint[..16], refused.Message, StringComparison.Ordinal);
        Assert.Contains("recorder release --recorder site", refused.Message, StringComparison.Ordinal);
        Assert.Equal(firstKey, refused.Held.KeyFingerprint);

        Recording cloud = (await _backend.Catalog.GetAsync(theirs.Id, CancellationToken.None))!;
        Assert.Equal((theirs.Sha256, theirs.Size), (cloud.Announcement.Sha256, cloud.Announcement.FileSize));
        StoredObject stored = Assert.Single(await ObjectsAsync());
        Assert.Equal(theirs.Crc32C, stored.Crc32C);
        // The one evidence manifest is the first installation's, signed with its key, the only key registered for the ID.
        Assert.Equal("manifests/site~cam1/0000000000.manifest", Assert.Single(await ObjectsAsync("manifests/")).Name);
        Assert.Equal(firstKey, Assert.Single(await _backend.Catalog.ListRecorderKeysAsync("site", CancellationToken.None)).Fingerprint);
        Assert.Single(await _backend.Catalog.ListRecordersAsync(CancellationToken.None));
        OutboxSegment untouched = second.Outbox.Get(ours.Id)!;
        Assert.Equal((EdgeState.Sealed, false), (untouched.State, untouched.Announced));
        Assert.Equal(firstKey, (await _backend.Catalog.GetRecorderClaimAsync("site", CancellationToken.None))!.KeyFingerprint);
    }

    [Fact]
    public async Task TheSameInstallation_KeepsItsKeyAndItsClaimAcrossRestarts()
    {
        using PipelineRig rig = Installation();
        rig.Seal(2000);
        await new RecorderAgent(rig.Context).RecoverAsync(CancellationToken.None);
        string key = rig.Context.Claims.Identity.Fingerprint;

        var restarted = new EdgeContext(rig.Context.Options, _backend.Store, LocalBackend.StagingBucket, _backend.Catalog, TimeProvider.System, rig.Logs);
        await new RecorderAgent(restarted).RecoverAsync(CancellationToken.None);

        Assert.Equal(key, restarted.Claims.Identity.Fingerprint);
        Assert.Equal(key, restarted.Claims.Held!.KeyFingerprint);
        Assert.All(rig.Outbox.All(), s => Assert.True(s.Announced));
    }

    [Fact]
    public async Task ACopiedDataDirectoryOnAnotherMachine_IsRefused_UntilTheOperatorReleasesTheClaim_ThenTheOriginalIsRefused()
    {
        using PipelineRig original = Installation();
        using PipelineRig copy = Installation();
        Directory.CreateDirectory(Path.Combine(copy.Context.Paths.DataDir, RecorderIdentity.Folder));
        File.Copy(RecorderIdentity.LoadOrCreate(original.Context.Paths.DataDir).KeyPath, RecorderIdentity.KeyPathIn(copy.Context.Paths.DataDir)); // restored from one image
        var onMachine1 = new RecorderClaimGuard(original.Context.Options, original.Context.Catalog, original.Context.Time, original.Context.Logs, () => "machine-1");
        var onMachine2 = new RecorderClaimGuard(copy.Context.Options, copy.Context.Catalog, copy.Context.Time, copy.Context.Logs, () => "machine-2");
        await onMachine1.EnsureAsync(CancellationToken.None);

        RecorderClaimRefusedException refused = await Assert.ThrowsAsync<RecorderClaimRefusedException>(() => onMachine2.EnsureAsync(CancellationToken.None));
        RecorderClaim? released = await _backend.Catalog.ReleaseRecorderClaimAsync("site", "ops@example.com", "hardware replaced", CancellationToken.None);
        await Assert.ThrowsAsync<RecorderClaimRefusedException>(() => onMachine2.EnsureAsync(CancellationToken.None)); // a refusal sticks for the process
        await new RecorderClaimGuard(copy.Context.Options, copy.Context.Catalog, copy.Context.Time, copy.Context.Logs, () => "machine-2").EnsureAsync(CancellationToken.None); // restarted after the release
        RecorderClaimRefusedException originalNow = await Assert.ThrowsAsync<RecorderClaimRefusedException>(
            () => new RecorderClaimGuard(original.Context.Options, original.Context.Catalog, original.Context.Time, original.Context.Logs, () => "machine-1").EnsureAsync(CancellationToken.None));

        Assert.Equal(original.Context.Claims.Identity.Fingerprint, copy.Context.Claims.Identity.Fingerprint);
        Assert.Contains("from another machine", refused.Message, StringComparison.Ordinal);
        Assert.Contains("recorder release --recorder site", refused.Message, StringComparison.Ordinal);
        Assert.Equal("machine-1", released!.MachineIdHash);
        Assert.Contains("from another machine", originalNow.Message, StringComparison.Ordinal);
        Assert.Equal("machine-2", (await _backend.Catalog.GetRecorderClaimAsync("site", CancellationToken.None))!.MachineIdHash);
    }

    [Fact]
    public void TheInstallationKey_IsAPrivateP256Pem_WhoseFingerprintIsTheSha256OfItsPublicKey_AndIsMadeOnce()
    {
        using var dir = new TempDir("identity");

        RecorderIdentity made = RecorderIdentity.LoadOrCreate(dir.Path);
        RecorderIdentity loaded = RecorderIdentity.LoadOrCreate(dir.Path);

        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(made.KeyPath));
        Assert.Equal(256, key.KeySize);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), made.Fingerprint);
        Assert.Equal(made.Fingerprint, loaded.Fingerprint);
        Assert.Equal(Path.Combine(dir.Path, "identity", "recorder-key.pem"), made.KeyPath);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "identity")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(made.KeyPath));
        }
    }

    [Fact]
    public void AnUnreadableKey_IsAnErrorThatSaysWhatToDo_NeverANewKeyInItsPlace()
    {
        using var dir = new TempDir("identity");
        string path = RecorderIdentity.LoadOrCreate(dir.Path).KeyPath;
        File.WriteAllText(path, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");

        RecorderIdentityException e = Assert.Throws<RecorderIdentityException>(() => RecorderIdentity.LoadOrCreate(dir.Path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("recorder release", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\nbm90", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
