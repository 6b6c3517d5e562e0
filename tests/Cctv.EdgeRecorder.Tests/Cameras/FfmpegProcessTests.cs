using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.EdgeRecorder.Tests.Cameras;

public sealed class FfmpegProcessTests : IDisposable
{
    /// <summary>A quote, a space, a '$', a backslash and a ';': each means something to a shell or to a re-split argument string.</summary>
    public const string HostilePassword = "p\"a s$\\;x";

    private readonly TempDir _dir = new("ffmpeg-process");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ACameraPasswordWithQuoteSpaceDollarBackslashSemicolon_ReachesTheCameraIntact()
    {
        // The recorder starts FFmpeg with ProcessStartInfo.ArgumentList, not FFMpegCore's one argument string
        // (see FfmpegProcess): the camera must receive exactly the password in the configuration.
        string ffmpeg = RequiredTool.Find("ffmpeg", "ffmpeg");
        await using var camera = new AuthCapturingCamera();
        var options = new CameraOptions { Id = "cam1", Url = $"rtsp://admin:{HostilePassword}@127.0.0.1:{camera.Port}/stream", RtspTransport = "tcp" };
        Directory.CreateDirectory(_dir.Combine("run"));

        await using FfmpegProcess process = FfmpegProcess.Start(ffmpeg, FfmpegArguments.ForRecording(options, 4, _dir.Combine("run")), NullLogger.Instance, "cam1");
        string? received = camera.FirstCredentials(TimeSpan.FromSeconds(10));
        await process.StopAsync(TimeSpan.FromSeconds(2));

        Assert.Equal($"admin:{HostilePassword}", received);
    }

    [Fact]
    public async Task AChildThatWritesToStdout_IsDrained_AndNeverBlocksOnTheFullPipe()
    {
        // FFmpeg writes its segments to files, but a build or an option that prints to stdout must not stall it on a full
        // pipe (64 KiB on Linux): the drain reads everything, with a small buffer of its own.
        string shell = RequiredTool.Find("sh", "dash");
        await using FfmpegProcess process = FfmpegProcess.Start(shell, ["-c", "head -c 4000000 /dev/zero; echo written >&2"], NullLogger.Instance, "cam1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
    }
}
