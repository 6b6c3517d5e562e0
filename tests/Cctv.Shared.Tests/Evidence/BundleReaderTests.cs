using System.Text;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>Hostile or broken files are refused with one clear sentence and exit code 2: never a stack trace, never a file written.</summary>
public sealed class BundleReaderTests : IDisposable
{
    private readonly EvidenceBundles _bundles = new();

    public void Dispose() => _bundles.Dispose();

    private static (int Exit, string Output, string Error) Run(string path, params string[] keys)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = VerifyCommand.Run(path, keys, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static void AssertUnreadable((int Exit, string Output, string Error) run, string expected)
    {
        Assert.Equal(VerifyCommand.Unreadable, run.Exit);
        Assert.Equal("", run.Output);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NotAZip_IsUnreadable()
    {
        byte[] garbage = new byte[4096];
        new Random(7).NextBytes(garbage);

        AssertUnreadable(Run(_bundles.File("garbage.zip", garbage)), "Not an evidence bundle: not a zip file");
        AssertUnreadable(Run(_bundles.File("empty.zip", [])), "Not an evidence bundle: not a zip file");
    }

    [Fact]
    public void Verify_NoSuchFile_IsUnreadable() =>
        AssertUnreadable(Run(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "none.zip")), "cannot be read");

    [Fact]
    public async Task Verify_NoIndex_IsUnreadable()
    {
        (string path, _) = await _bundles.WriteAsync();

        AssertUnreadable(Run(_bundles.Tamper(path, files => files.RemoveAll(f => f.Name == BundleLayout.Index))), "it has no bundle.json");
    }

    [Theory]
    [InlineData("../evil.mp4")]
    [InlineData("segments/../../evil.mp4")]
    [InlineData("/etc/cron.d/evil")]
    [InlineData("segments\\000001-000000.mp4")]
    [InlineData("segments/000001-000000.mp4/")]
    [InlineData("bundle.json\n")]
    [InlineData("notes.txt")]
    public async Task Verify_NameOutsideTheLayout_IsUnreadable_AndNothingIsExtracted(string name)
    {
        (string path, _) = await _bundles.WriteAsync();
        string hostile = _bundles.Tamper(path, files => files.Add((name, Encoding.UTF8.GetBytes("payload"))));
        string[] before = Directory.GetFileSystemEntries(Path.GetDirectoryName(hostile)!, "*", SearchOption.AllDirectories);

        AssertUnreadable(Run(hostile), "which is not a name of the bundle's layout");

        Assert.Equal(before, Directory.GetFileSystemEntries(Path.GetDirectoryName(hostile)!, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData(BundleLayout.Index)]
    [InlineData("segments/000001-000000.mp4")]
    public async Task Verify_NameTwice_IsUnreadable(string name)
    {
        (string path, _) = await _bundles.WriteAsync();
        string hostile = _bundles.Tamper(path, files => files.Add((name, files.Single(f => f.Name == name).Bytes)));

        AssertUnreadable(Run(hostile), $"'{name}' is in it twice");
    }

    [Fact]
    public async Task Verify_IndexLargerThanItsLimit_IsUnreadable_WithoutReadingItAll()
    {
        (string path, _) = await _bundles.WriteAsync();
        string hostile = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.Index, _ => new byte[EvidenceBundle.MaxIndexBytes + 1]));

        AssertUnreadable(Run(hostile), $"bundle.json is larger than {EvidenceBundle.MaxIndexBytes} bytes");
    }

    [Theory]
    [InlineData("not json at all", "bundle.json is not JSON")]
    [InlineData("[]", "the index is not a JSON object")]
    [InlineData("{\"format\":\"cctv-evidence-bundle/1\"}", "'camera' is missing")]
    [InlineData("{\"format\":\"something-else/9\"}", "format is not cctv-evidence-bundle/1")]
    public async Task Verify_IndexMalformed_IsUnreadable_NamingWhat(string index, string expected)
    {
        (string path, _) = await _bundles.WriteAsync();
        string hostile = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.Index, _ => Encoding.UTF8.GetBytes(index)));

        AssertUnreadable(Run(hostile), expected);
    }

    [Fact(Timeout = 60_000)]
    public async Task Verify_EntryClaimingAnIndexFarPastTheChain_IsUnreadable_InsteadOfWalkingToIt()
    {
        (string path, _) = await _bundles.WriteAsync();
        ChainEntry last = _bundles.A.Entries[^1];
        ChainEntry far = ChainEntry.Gap(_bundles.A.Camera, (1L << 53) - 1, last.End, last.End.AddSeconds(1), "far", last.Hash);
        string hostile = _bundles.Tamper(path, files => EvidenceBundles.Replace(files, BundleLayout.ManifestFile(3), b => [.. b, .. far.Bytes, (byte)'\n']));

        (int exit, string output, string error) = await Task.Run(() => Run(hostile));

        AssertUnreadable((exit, output, error), "claim chain indices 0 to 9007199254740991, but it holds 11 entries");
    }

    [Fact]
    public async Task Verify_PinnedKeyFileNotAKey_IsUnreadable()
    {
        (string path, _) = await _bundles.WriteAsync();

        AssertUnreadable(Run(path, _bundles.File("key.pem", Encoding.ASCII.GetBytes("not a key"))), "is not a P-256 public key in PEM");
    }

    [Fact]
    public async Task Verify_IntactAndBroken_ExitZeroAndOne()
    {
        (string path, _) = await _bundles.WriteAsync();
        string tampered = _bundles.Tamper(path, files => files.RemoveAll(f => f.Name == EvidenceBundles.SegmentOf(_bundles.A, 1)));

        (int intact, string report, string error) = Run(path, _bundles.File("a.pem", Encoding.ASCII.GetBytes(_bundles.A.PublicKey.ToPem())));
        (int broken, string brokenReport, _) = Run(tampered);

        Assert.Equal((VerifyCommand.Intact, ""), (intact, error));
        Assert.Contains("Verdict: INTACT", report, StringComparison.Ordinal);
        Assert.Equal(VerifyCommand.Broken, broken);
        Assert.Contains("Missing at entry 1 (segment run 1 seq 1, 2026-12-01T08:00:04.000Z)", brokenReport, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ControlCharactersInTheIndex_ArePrintedEscaped()
    {
        ExportContent content = _bundles.Content();
        (string path, _) = await _bundles.WriteAsync(content with { Custody = content.Custody with { ExportedBy = "\u001b[2Jmallory" } });

        (int exit, string output, _) = Run(path);

        Assert.Equal(VerifyCommand.Intact, exit);
        Assert.Contains("exported by \\u001b[2Jmallory", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
    }
}
