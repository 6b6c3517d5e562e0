using System.Text;
using Cctv.Shared.Evidence;
using Cctv.Shared.Tests.Evidence;
using Cctv.TestSupport;

namespace Cctv.Functions.Tests.Hosting;

/// <summary>
/// <c>verify</c> as a recipient runs it: the built functions host (dotnet Cctv.Functions.dll verify BUNDLE), offline,
/// with nothing but the bundle and optionally the recorder's key; its exit code and output as a shell sees them.
/// </summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly EvidenceBundles _bundles = new();

    public void Dispose() => _bundles.Dispose();

    /// <summary>The built <c>verify</c>, offline: no backend, no credentials, no data directory.</summary>
    private static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => BuiltFunctionsHost.RunAsync(["verify", .. args]);

    [Fact]
    public async Task Verify_BuiltCommand_IntactExitsZero_TamperedExitsOneNamingTheSegment_GarbageExitsTwo()
    {
        (string path, _) = await _bundles.WriteAsync(_bundles.Content(from: EvidenceBundles.T0.AddSeconds(10), to: EvidenceBundles.T0.AddSeconds(60)));
        string key = _bundles.File("rec-a.pem", Encoding.ASCII.GetBytes(_bundles.A.PublicKey.ToPem()));
        string tampered = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, EvidenceBundles.SegmentOf(_bundles.A, 5), b =>
        {
            b[^1] ^= 0x20;
            return b;
        }));

        (int intact, string report, string intactError) = await RunAsync(path, "--key", key);
        (int broken, string brokenReport, _) = await RunAsync(tampered);
        (int garbage, string garbageOut, string garbageError) = await RunAsync(_bundles.File("garbage.zip", Encoding.ASCII.GetBytes("PK\u0003\u0004 not really")));

        Assert.Equal((0, ""), (intact, intactError));
        Assert.Contains("Camera:    rec-a~cam1", report, StringComparison.Ordinal);
        Assert.Contains("Covered:   2026-12-01T08:00:08.000Z to 2026-12-01T08:01:02.000Z (first to last exported frame, signed)", report, StringComparison.Ordinal);
        Assert.Contains("camera offline [signed, chain entry 4]", report, StringComparison.Ordinal);
        Assert.Contains("(pinned with --key)", report, StringComparison.Ordinal);
        Assert.Contains("Verdict: INTACT", report, StringComparison.Ordinal);

        Assert.Equal(1, broken);
        Assert.Contains("Verdict: BROKEN (1 break)", brokenReport, StringComparison.Ordinal);
        Assert.Contains("Altered at entry 6 (segment run 2 seq 5, 2026-12-01T08:00:50.000Z)", brokenReport, StringComparison.Ordinal);

        Assert.Equal((2, ""), (garbage, garbageOut));
        Assert.StartsWith("Not an evidence bundle: not a zip file", garbageError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", garbageError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_BuiltCommand_WithoutABundle_ExitsTwo()
    {
        (int exit, _, string stderr) = await RunAsync();

        Assert.Equal(2, exit);
        Assert.Contains("Required argument missing for command: 'verify'", stderr, StringComparison.Ordinal);
    }
}
