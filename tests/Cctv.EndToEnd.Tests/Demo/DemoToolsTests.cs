using System.Diagnostics;
using Cctv.Demo;
using Cctv.EdgeRecorder.Commands;
using Cctv.TestSupport;

namespace Cctv.EndToEnd.Tests.Demo;

/// <summary>
/// The demo on a machine without FFmpeg or rtsp-server-perl: a PATH made for each test decides what is installed (nothing
/// is uninstalled), and an <c>apt-get</c> on that PATH records how it was called and installs what a test says.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DemoToolsTests : IDisposable
{
    private readonly TempDir _dir = new("demo-tools");

    public void Dispose() => _dir.Dispose();

    private string Bin => Directory.CreateDirectory(_dir.Combine("bin")).FullName;

    private string AptLog => _dir.Combine("apt-get.log");

    private void Executable(string name, string script = "#!/bin/sh\nexit 0\n")
    {
        string path = Path.Combine(Bin, name);
        File.WriteAllText(path, script);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>An apt-get that logs its environment's DEBIAN_FRONTEND and arguments, and on install creates <paramref name="provides"/>.</summary>
    private void AptGet(int exitCode = 0, params string[] provides) =>
        Executable("apt-get", $"""
            #!/bin/sh
            echo "$DEBIAN_FRONTEND $*" >> '{AptLog}'
            if [ "$1" = install ]; then
              for tool in {string.Join(' ', provides)}; do printf '#!/bin/sh\nexit 0\n' > '{Bin}'/$tool; chmod +x '{Bin}'/$tool; done
            fi
            exit {exitCode}
            """.Replace("\r\n", "\n", StringComparison.Ordinal));

    private DemoTools Tools(bool isRoot, StringWriter output) => new(Bin, isRoot, output);

    [Fact]
    public async Task EveryToolOnThePath_NothingIsInstalled()
    {
        Executable("ffmpeg");
        Executable("ffprobe");
        Executable("rtsp-server-perl");
        AptGet();
        var output = new StringWriter();

        await Tools(isRoot: true, output).EnsureAsync(CancellationToken.None);

        Assert.False(File.Exists(AptLog), "apt-get ran although nothing was missing");
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public async Task MissingTools_AsRootWithAptGet_InstallsDebiansPackagesNonInteractively_SayingSo()
    {
        Executable("rtsp-server-perl");
        AptGet(0, "ffmpeg", "ffprobe");
        var output = new StringWriter();

        await Tools(isRoot: true, output).EnsureAsync(CancellationToken.None);

        Assert.Equal(["noninteractive update -q", "noninteractive install -y -q --no-install-recommends ffmpeg"], File.ReadAllLines(AptLog));
        Assert.Contains("installing Debian's packages (apt-get update, then apt-get install -y ffmpeg)", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(Tools(isRoot: true, output).MissingPackages());
    }

    [Fact]
    public async Task MissingTools_NotRoot_StopWithTheOneSudoLineToRun_AndAptGetDoesNotRun()
    {
        AptGet(0, "ffmpeg", "ffprobe", "rtsp-server-perl");

        var e = await Assert.ThrowsAsync<MissingToolException>(() => Tools(isRoot: false, new StringWriter()).EnsureAsync(CancellationToken.None));

        Assert.Contains("`sudo apt-get install -y ffmpeg rtsp-server-perl`", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(AptLog));
    }

    [Fact]
    public async Task MissingTools_WithoutAptGet_StopWithTheOneLineToRun()
    {
        var e = await Assert.ThrowsAsync<MissingToolException>(() => Tools(isRoot: true, new StringWriter()).EnsureAsync(CancellationToken.None));

        Assert.Contains("apt-get install -y ffmpeg rtsp-server-perl", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public async Task AnInstallThatFailsOrDoesNotProvideTheTools_StopsNamingWhatIsStillMissing(int aptExit)
    {
        AptGet(aptExit);

        var e = await Assert.ThrowsAsync<MissingToolException>(() => Tools(isRoot: true, new StringWriter()).EnsureAsync(CancellationToken.None));

        Assert.Contains("still missing: ffmpeg rtsp-server-perl", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y ffmpeg rtsp-server-perl", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task TheDemoCommand_WithoutFfmpegOnThePath_ExitsTwoWithOneLineAndNoStackTrace()
    {
        string dotnet = RequiredTool.Find("dotnet", "dotnet-sdk-10.0");
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "Cctv.Demo.dll"), "--duration", "5s", "--data-dir", _dir.Combine("demo")])
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["PATH"] = Bin; // empty: no ffmpeg, no rtsp-server-perl, no apt-get
        using Process demo = Process.Start(psi)!;
        Task<string> stdout = demo.StandardOutput.ReadToEndAsync();
        Task<string> stderr = demo.StandardError.ReadToEndAsync();
        Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(60)), "the demo did not exit");
        string all = await stdout + await stderr;

        Assert.True(demo.ExitCode == 2, $"exit {demo.ExitCode}:\n{all}");
        string line = Assert.Single(all.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("apt-get install -y ffmpeg rtsp-server-perl", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", all, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.Combine("demo")), "the demo started before it had its tools");
    }
}
