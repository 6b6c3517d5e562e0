using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Configuration;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.EdgeRecorder.Tests.Commands;

public sealed class ValidateCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new("validate");
    private GcsTestServer _server = null!;

    public async Task InitializeAsync() => _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = ["site-staging"] });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private RecorderOptions Options(string bucket = "site-staging", Uri? endpoint = null, string camera = "rtsp://127.0.0.1:9/none")
    {
        var o = new RecorderOptions { Id = "site-a", DataDir = _dir.Combine("data"), Backend = "gcp" };
        o.Gcp.StagingBucket = bucket;
        o.Gcp.Endpoint = (endpoint ?? _server.Endpoint).ToString();
        o.Gcp.Anonymous = true;
        o.Gcp.Catalog = "none";
        o.DiskBudget.MinFreeBytes = 0;
        o.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Gate", Url = camera });
        return o;
    }

    private static Task<IReadOnlyList<ValidationCheck>> RunAsync(RecorderOptions o, bool cameras = false) =>
        ValidateCommand.RunAsync(o, cameras, NullLoggerFactory.Instance, CancellationToken.None);

    [Fact]
    public async Task AGoodSetUp_PassesEveryCheck_AndProvesTheBucketWritableWithAProbeObject()
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        IReadOnlyList<ValidationCheck> checks = await RunAsync(Options());

        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Equal(["configuration", "FFmpeg", "ffprobe", "data directory", "credentials", "bucket", "clock", "upload", "recorder ID"], checks.Select(c => c.Name));
        TestObject probe = Assert.Single(_server.Objects("site-staging"));
        Assert.StartsWith("_validate/site-a/", probe.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRecorderIdLine_SaysItIsFree_OrThisInstallations_OrWhoseItIsAndHowToRelease()
    {
        RecorderOptions o = Options();
        o.Backend = "local";
        var catalog = new Cctv.Shared.Local.LocalBackend(o.DataDir, TimeProvider.System).Catalog;

        ValidationCheck free = (await RunAsync(o)).Single(c => c.Name == "recorder ID");
        string fingerprint = Cctv.EdgeRecorder.Identity.RecorderIdentity.LoadOrCreate(o.DataDir).Fingerprint;
        await catalog.ClaimRecorderAsync(new Cctv.Shared.Domain.RecorderClaim("site-a", new string('e', 64), null, "sa@example.com", "other-box", DateTimeOffset.UtcNow), CancellationToken.None);
        ValidationCheck taken = (await RunAsync(o)).Single(c => c.Name == "recorder ID");
        await catalog.ReleaseRecorderClaimAsync("site-a", "ops", "replaced", CancellationToken.None);
        await catalog.ClaimRecorderAsync(new Cctv.Shared.Domain.RecorderClaim("site-a", fingerprint, Cctv.EdgeRecorder.Identity.RecorderIdentity.MachineIdHash(), null, "this-box", DateTimeOffset.UtcNow), CancellationToken.None);
        ValidationCheck mine = (await RunAsync(o)).Single(c => c.Name == "recorder ID");

        Assert.True(free.Passed, free.Detail);
        Assert.Contains($"'site-a' is not claimed yet: this installation claims it at its first start with installation key {fingerprint}", free.Detail, StringComparison.Ordinal);
        Assert.False(taken.Passed);
        Assert.Contains("already claimed by another installation (installation key eeeeeeeeeeeeeeee with credential sa@example.com on host other-box", taken.Detail, StringComparison.Ordinal);
        Assert.Contains("recorder release --recorder site-a", taken.Detail, StringComparison.Ordinal);
        Assert.True(mine.Passed, mine.Detail);
        Assert.Contains("'site-a' belongs to this installation", mine.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMisspelledBucket_FailsNamingTheSettingToFix()
    {
        ValidationCheck bucket = (await RunAsync(Options(bucket: "site-stagin"))).Single(c => c.Name == "bucket");

        Assert.False(bucket.Passed);
        Assert.Contains("GCP_STORAGE_BUCKET_NAME", bucket.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedCredentials_FailWithTheFix()
    {
        await using GcsTestServer guarded = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = ["site-staging"], RequiredBearerToken = "secret" });

        ValidationCheck bucket = (await RunAsync(Options(endpoint: guarded.Endpoint))).Single(c => c.Name == "bucket");

        Assert.False(bucket.Passed);
        Assert.Contains("GCP_STORAGE_CREDENTIALS_PATH", bucket.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingKeyFile_FailsTheCredentialsCheck()
    {
        RecorderOptions o = Options();
        o.Gcp.Anonymous = false;
        o.Gcp.CredentialsPath = _dir.Combine("missing-key.json");

        ValidationCheck credentials = (await RunAsync(o)).Single(c => c.Name == "credentials");

        Assert.False(credentials.Passed);
        Assert.Contains("does not exist", credentials.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACameraThatDoesNotAnswer_FailsWithAdvice()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        ValidationCheck camera = (await RunAsync(Options(), cameras: true)).Single(c => c.Name == "camera cam1");

        Assert.False(camera.Passed);
        Assert.Contains("did not answer", camera.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACameraThatAnswers_IsReportedWithItsCodecResolutionAndFrameRate()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        string clip = Cameras.MediaProbeTests.MakeClip(_dir.Combine("gate.mp4"), 1, "320x240", 15);

        ValidationCheck camera = (await RunAsync(Options(camera: clip), cameras: true)).Single(c => c.Name == "camera cam1");

        Assert.True(camera.Passed, camera.Detail);
        Assert.Equal("h264 320x240 at 15 fps", camera.Detail);
    }

    [Fact]
    public async Task ACameraThatRefusesItsCredentials_FailsWithoutPrintingThePassword()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        await using var fake = new Cameras.AuthCapturingCamera();
        string url = $"rtsp://admin:{Cameras.FfmpegProcessTests.HostilePassword}@127.0.0.1:{fake.Port}/stream";

        ValidationCheck camera = (await RunAsync(Options(camera: url), cameras: true)).Single(c => c.Name == "camera cam1");

        Assert.False(camera.Passed);
        Assert.StartsWith($"rtsp://admin:***@127.0.0.1:{fake.Port}/stream did not answer", camera.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("p\"a", camera.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("p%22a", camera.Detail, StringComparison.Ordinal);
        Assert.Equal($"admin:{Cameras.FfmpegProcessTests.HostilePassword}", fake.FirstCredentials(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AMissingFfprobe_FailsItsLineAndEachCamerasWithTheInstallCommand_AndTheChecklistGoesOn()
    {
        RecorderOptions o = Options();
        o.Ffmpeg.ProbePath = _dir.Combine("no-bin", "ffprobe");

        IReadOnlyList<ValidationCheck> checks = await RunAsync(o, cameras: true);

        ValidationCheck camera = checks.Single(c => c.Name == "camera cam1");
        Assert.False(camera.Passed);
        Assert.Contains("apt-get install -y ffmpeg", camera.Detail, StringComparison.Ordinal);
        Assert.False(checks.Single(c => c.Name == "ffprobe").Passed);
        Assert.Contains(checks, c => c.Name == "upload" && c.Passed);
    }
}
