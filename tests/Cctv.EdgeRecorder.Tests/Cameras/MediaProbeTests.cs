using System.Diagnostics;
using Cctv.EdgeRecorder.Cameras;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Cameras;

public sealed class MediaProbeTests : IDisposable
{
    private readonly TempDir _dir = new("media-probe");

    public void Dispose() => _dir.Dispose();

    /// <summary>A short H.264 clip from FFmpeg's test source.</summary>
    public static string MakeClip(string path, double seconds, string size = "160x120", int rate = 10)
    {
        var psi = new ProcessStartInfo(RequiredTool.Find("ffmpeg", "ffmpeg")) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}:duration={seconds}",
                     "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", path])
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, errors);
        return path;
    }

    [Fact]
    public async Task Duration_OfARecordedClip_IsHowLongItPlays()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        string clip = MakeClip(_dir.Combine("clip with space's.mp4"), 3);

        double? seconds = await MediaProbe.DurationAsync("ffprobe", clip, CancellationToken.None);

        Assert.NotNull(seconds);
        Assert.InRange(seconds.Value, 2.9, 3.1);
    }

    [Fact]
    public async Task Duration_OfAFileThatIsNotMedia_IsUnknownNotAnError()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        string torn = _dir.Combine("seg_000007.mp4");
        await File.WriteAllTextAsync(torn, "the first bytes of a segment, and then the power went");

        Assert.Null(await MediaProbe.DurationAsync("ffprobe", torn, CancellationToken.None));
    }

    [Theory]
    [InlineData("/nonexistent/bin/ffprobe")]
    [InlineData("ffprobe-that-is-not-installed")]
    public async Task AMissingFfprobe_IsAClearErrorNamingTheInstallCommand(string probePath)
    {
        string clip = _dir.Combine("any.mp4");
        await File.WriteAllTextAsync(clip, "x");

        var e = await Assert.ThrowsAsync<FfmpegNotFoundException>(() => MediaProbe.DurationAsync(probePath, clip, CancellationToken.None));
        var camera = await Assert.ThrowsAsync<FfmpegNotFoundException>(() => MediaProbe.CameraAsync(probePath, "rtsp://127.0.0.1:9/x", "tcp", TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Contains("apt-get install -y ffmpeg", e.Message, StringComparison.Ordinal);
        Assert.Contains(probePath, e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y ffmpeg", camera.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Camera_ReportsCodecResolutionAndFrameRate()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        string clip = MakeClip(_dir.Combine("camera.mp4"), 1, "320x240", 15);

        CameraStream? stream = await MediaProbe.CameraAsync("ffprobe", clip, "tcp", TimeSpan.FromSeconds(15), CancellationToken.None);

        Assert.Equal(new CameraStream("h264", 320, 240, 15, false), stream);
    }

    [Fact]
    public async Task Camera_SendsAPasswordWithQuoteSpaceDollarBackslashSemicolonIntact_ThroughFFMpegCoresArgumentString()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        await using var camera = new AuthCapturingCamera();
        string url = $"rtsp://admin:{FfmpegProcessTests.HostilePassword}@127.0.0.1:{camera.Port}/stream";

        var e = await Assert.ThrowsAsync<MediaProbeException>(() => MediaProbe.CameraAsync("ffprobe", url, "tcp", TimeSpan.FromSeconds(10), CancellationToken.None));

        Assert.Equal($"admin:{FfmpegProcessTests.HostilePassword}", camera.FirstCredentials(TimeSpan.FromSeconds(1)));
        Assert.DoesNotContain("p%22a", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FfmpegProcessTests.HostilePassword, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rtsp://admin:s3cret@10.0.0.5:554/h264", "rtsp://admin:***@10.0.0.5:554/h264")]
    [InlineData("rtsp://admin:p\"a s$\\;x@10.0.0.5/h264", "rtsp://admin:***@10.0.0.5/h264")]
    [InlineData("rtsp://admin:p%22a%20s@10.0.0.5/h264: 401 Unauthorized", "rtsp://admin:***@10.0.0.5/h264: 401 Unauthorized")]
    [InlineData("rtsp://10.0.0.5/h264", "rtsp://10.0.0.5/h264")]
    [InlineData("rtsp://viewer@10.0.0.5/h264", "rtsp://viewer@10.0.0.5/h264")]
    public void Redact_HidesThePasswordOnly_EvenOneNoUriAccepts(string text, string expected) => Assert.Equal(expected, Cctv.EdgeRecorder.Configuration.RecorderConfiguration.Redact(text));

    [Theory]
    [InlineData("rtsp://admin:p\"a s$\\;x@10.0.0.5/h264", "rtsp://admin:p%22a%20s%24%5C%3Bx@10.0.0.5/h264")]
    [InlineData("rtsp://admin:p%22a@10.0.0.5/h264", "rtsp://admin:p%22a@10.0.0.5/h264")]
    [InlineData("rtsp://10.0.0.5/a@b", "rtsp://10.0.0.5/a@b")]
    [InlineData("/var/footage/camera.mp4", "/var/footage/camera.mp4")]
    public void EncodeCredentials_PercentEncodesUserAndPasswordOnly(string url, string expected) => Assert.Equal(expected, MediaProbe.EncodeCredentials(url));
}
