using System.Security.Cryptography;
using Cctv.Functions.Tests.Evidence;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Local;
using Cctv.Shared.Tests.Evidence;
using Cctv.TestSupport;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests.Operator;

/// <summary>
/// The operator's <c>export</c> command, run as the built program over an embedded backend's data directory holding
/// two sites whose recorders both have a <c>cam1</c>, each chain signed and its manifests archived.
/// </summary>
public sealed class ExportCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new("export");
    private readonly Dictionary<string, ECDsa> _keys = [];
    private TwoSites _sites = null!;

    public async Task InitializeAsync()
    {
        var backend = new LocalBackend(Path.Combine(_dir.Path, "data"), TimeProvider.System);
        _sites = await TwoSites.SeedAsync(backend.Catalog, SignedChains.Ms(DateTimeOffset.UtcNow.AddHours(-1)), 6, backend.Store, LocalBackend.ArchiveBucket);
        foreach (CameraKey camera in (CameraKey[])[TwoSites.ACam1, TwoSites.BCam1])
        {
            await SignedChains.SignAsync(backend.Catalog, backend.Store, _sites, camera, _keys);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        foreach (ECDsa key in _keys.Values)
        {
            key.Dispose();
        }
        _dir.Dispose();
    }

    private static string Iso(DateTimeOffset t) => Cctv.Functions.Api.RecordingItem.Iso(t);

    private Task<(int Exit, string Stdout, string Stderr)> RunAsync(string camera, DateTimeOffset from, DateTimeOffset to, string output = "bundle.zip") =>
        BuiltFunctionsHost.RunAsync("export", "--data-dir", Path.Combine(_dir.Path, "data"), "--camera", camera, "--from", Iso(from), "--to", Iso(to),
            "--out", Path.Combine(_dir.Path, output), "--by", "operator:jdoe@desk");

    [Fact]
    public async Task Export_SiteBCam1_WritesAnIntactBundleOfThatCameraOnly_WithTheOperatorInTheCustodyRecord()
    {
        (int exit, string stdout, string stderr) = await RunAsync("rec-b/cam1", _sites.Start.AddSeconds(2), _sites.Start.AddSeconds(60));

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("6 segment(s)", stdout, StringComparison.Ordinal);
        string path = Path.Combine(_dir.Path, "bundle.zip");
        (BundleReport report, string text) = EvidenceBundles.Verify(path, [EvidencePublicKey.Of(_keys[TwoSites.RecB])]);
        Assert.True(report.IsIntact, text);
        Assert.Equal(TwoSites.BCam1, report.Index.Camera);
        Assert.Equal(_sites.Recordings[TwoSites.BCam1].Select(r => r.Id), report.Index.Segments.Select(s => s.RecordingId));
        Assert.Equal("operator:jdoe@desk", report.Index.Custody.ExportedBy);
        Assert.Contains(report.Index.Custody.Reads, r => r.Action.StartsWith("export", StringComparison.Ordinal));
        // The signed gap after the footage is in the bundle with its reason.
        Assert.Contains("cam1 of rec-b went offline", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_BadInput_ExitsTwoOrOneWithOneSentence_NeverAStackTrace_AndWritesNothing()
    {
        DateTimeOffset t = _sites.Start;
        (int Exit, string Stdout, string Stderr)[] runs =
        [
            await RunAsync("rec-c~cam1", t, t.AddMinutes(1)),
            await RunAsync("rec-a~cam1", t.AddMinutes(1), t),
            await RunAsync("rec-a~cam1", t, t.AddHours(25)),
            await RunAsync("not a camera", t, t.AddMinutes(1)),
            await RunAsync("rec-a~cam1", t.AddHours(-5), t.AddHours(-4)),
        ];

        Assert.Equal([2, 2, 2, 2, 1], runs.Select(r => r.Exit));
        Assert.Contains("camera rec-c~cam1 not found", runs[0].Stderr, StringComparison.Ordinal);
        Assert.Contains("at or before it starts", runs[1].Stderr, StringComparison.Ordinal);
        Assert.Contains("at most 24 hours", runs[2].Stderr, StringComparison.Ordinal);
        Assert.Contains("is not a camera key", runs[3].Stderr, StringComparison.Ordinal);
        Assert.Contains("no archived footage", runs[4].Stderr, StringComparison.Ordinal);
        Assert.All(runs, r => Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_dir.Path, "bundle.zip*"));
    }

    [Fact]
    public async Task Export_OutFileExists_RefusedWithExitTwo_AndTheFileIsUntouched()
    {
        string path = Path.Combine(_dir.Path, "bundle.zip");
        await File.WriteAllTextAsync(path, "someone else's file");

        (int exit, _, string stderr) = await RunAsync("rec-a~cam1", _sites.Start, _sites.Start.AddMinutes(1));

        Assert.Equal(2, exit);
        Assert.Contains("exists", stderr, StringComparison.Ordinal);
        Assert.Equal("someone else's file", await File.ReadAllTextAsync(path));
    }
}
