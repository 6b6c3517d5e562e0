using System.Diagnostics;
using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;

namespace Cctv.Cloud.Tests;

/// <summary>The agent's own command line on the gcp backend with the Firestore catalog: the wiring an installer relies on.</summary>
[Trait("Category", "Slow")]
[Collection(EmulatorsCollection.Name)]
public sealed class EdgeCommandTests(EmulatorsFixture emulators) : IDisposable
{
    private readonly TempDir _dir = new("edge-gcp");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Validate_OnTheGcpBackend_ReachesTheBucketAndTheFirestoreCatalog_AndSyncAnnouncesAndUploads()
    {
        await using GcsTestServer gcs = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = ["site-staging"] });
        string config = _dir.Combine("agent.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Recorder = new
            {
                Id = "site-gcp",
                DataDir = _dir.Combine("data"),
                Backend = "gcp",
                DiskBudget = new { MinFreeBytes = 0 },
                Cameras = new[] { new { Id = "cam1", Name = "Gate", Url = "rtsp://127.0.0.1:9/none" } },
                Gcp = new { ProjectId = EmulatorsFixture.PubSubProject, StagingBucket = "site-staging", Catalog = "firestore", FirestoreDatabase = "edge-cmd-db" },
            },
        }));

        (int exit, string output) = await RunAsync(gcs, "validate", "--config", config, "--skip-cameras");
        string output0 = output;

        Assert.True(exit == 0, output);
        Assert.Contains("ok    catalog: Firestore in", output, StringComparison.Ordinal);
        Assert.Contains("ok    upload: wrote gs://site-staging/_validate/site-gcp/", output, StringComparison.Ordinal);

        // A file on disk with no agent running: sync recovers it (seals it), announces it to Firestore and uploads it.
        string runDir = Path.Combine(_dir.Combine("data"), "spool", "cam1", "000001");
        Directory.CreateDirectory(runDir);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Cctv.Cloud.Tests.dll"), Path.Combine(runDir, "seg_000000.mp4"));
        var outbox = new Cctv.EdgeRecorder.Outbox.OutboxStore(Path.Combine(_dir.Combine("data"), "edge", "outbox.db"), TimeProvider.System);
        outbox.AdoptRun("cam1", 1, DateTimeOffset.UtcNow.AddMinutes(-1), "test: a file left by an earlier agent");

        (exit, output) = await RunAsync(gcs, "sync", "--config", config);

        Assert.True(exit == 0, output);
        var row = Assert.Single(outbox.All());
        Assert.Equal(EdgeState.Uploaded, row.State);
        Assert.NotNull(gcs.Find("site-staging", row.ObjectName));
        using GcpEndpoint firestore = GcpEndpoint.Emulator(GcpService.Firestore, emulators.FirestoreHostPort);
        var catalog = new FirestoreCatalog(new FirestoreClient(firestore, EmulatorsFixture.PubSubProject, "edge-cmd-db"), TimeProvider.System);
        Assert.Equal(CloudState.Announced, (await catalog.GetAsync(row.Id, CancellationToken.None))!.State);
        Assert.Contains("ok    recorder ID: 'site-gcp' is not claimed yet", output0, StringComparison.Ordinal);

        // A second installation configured with the same recorder ID (its own data directory, so its own key), with a
        // file of its own whose recording ID is the very same: refused before it announces or uploads anything.
        string other = _dir.Combine("agent2.json");
        File.WriteAllText(other, File.ReadAllText(config).Replace(JsonEncodedText.Encode(_dir.Combine("data")).ToString(), JsonEncodedText.Encode(_dir.Combine("data2")).ToString(), StringComparison.Ordinal));
        string otherRun = Path.Combine(_dir.Combine("data2"), "spool", "cam1", "000001");
        Directory.CreateDirectory(otherRun);
        File.WriteAllBytes(Path.Combine(otherRun, "seg_000000.mp4"), new byte[4096]);
        new Cctv.EdgeRecorder.Outbox.OutboxStore(Path.Combine(_dir.Combine("data2"), "edge", "outbox.db"), TimeProvider.System)
            .AdoptRun("cam1", 1, DateTimeOffset.UtcNow.AddMinutes(-1), "test: the other installation's file");

        (int refusedExit, string refused) = await RunAsync(gcs, "sync", "--config", other);
        (int validateExit, string validateOther) = await RunAsync(gcs, "validate", "--config", other, "--skip-cameras");

        Assert.True(refusedExit == 2, refused);
        Assert.Contains("Recorder ID 'site-gcp' is already claimed by another installation", refused, StringComparison.Ordinal);
        Assert.Contains("recorder release --recorder site-gcp", refused, StringComparison.Ordinal);
        Assert.Equal(1, validateExit);
        Assert.Contains("FAIL  recorder ID: Recorder ID 'site-gcp' is already claimed", validateOther, StringComparison.Ordinal);
        Recording first = (await catalog.GetAsync(row.Id, CancellationToken.None))!;
        Assert.Equal((row.Sha256, row.Size), (first.Announcement.Sha256, first.Announcement.FileSize));
        TestObject staged = Assert.Single(gcs.Objects("site-staging"), o => o.Name.StartsWith("incoming/", StringComparison.Ordinal));
        Assert.Equal((row.ObjectName, row.Size), (staged.Name, staged.Size));
        // The segment's evidence chain went up with it, signed by the installation that holds the claim.
        TestObject manifest = Assert.Single(gcs.Objects("site-staging"), o => o.Name.StartsWith(ObjectNames.ManifestPrefix, StringComparison.Ordinal));
        Assert.Equal(ObjectNames.Manifest(new CameraKey("site-gcp", "cam1"), 0), manifest.Name);
        Assert.Equal([row.Id], Cctv.Shared.Evidence.ManifestFile.Parse(manifest.Bytes.Span).Entries
            .Select(e => Cctv.Shared.Evidence.ChainEntry.TryParse(e, out _)!.RecordingId));
    }

    private async Task<(int Exit, string Output)> RunAsync(GcsTestServer gcs, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cctv.EdgeRecorder.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["STORAGE_EMULATOR_HOST"] = gcs.Endpoint.ToString();
        psi.Environment["FIRESTORE_EMULATOR_HOST"] = emulators.FirestoreHostPort;
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
