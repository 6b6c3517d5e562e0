using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;

namespace Cctv.EdgeRecorder.Tests.Cameras;

public sealed class FfmpegArgumentsTests
{
    private static readonly string[] SegmentTail =
    [
        "-c", "copy", "-f", "segment", "-segment_time", "4", "-segment_format", "mp4",
        "-segment_format_options", "movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=250000:flush_packets=1",
        "-reset_timestamps", "1",
        "-segment_list", "/spool/cam1/000001/segments.csv", "-segment_list_type", "csv", "/spool/cam1/000001/seg_%06d.mp4",
    ];

    [Fact]
    public void Rtsp_UsesTheConfiguredTransportAndASocketTimeout_AndCopiesVideoOnly()
    {
        var camera = new CameraOptions { Id = "cam1", Url = "rtsp://user:p%40ss@10.0.0.7:554/stream1", RtspTransport = "tcp" };
        IReadOnlyList<string> args = FfmpegArguments.ForRecording(camera, 4, "/spool/cam1/000001");
        Assert.Equal(
            (string[])["-hide_banner", "-nostats", "-loglevel", "warning", "-rtsp_transport", "tcp", "-timeout", "5000000",
                "-i", "rtsp://user:p%40ss@10.0.0.7:554/stream1", "-map", "0:v:0", .. SegmentTail],
            args);
    }

    [Fact]
    public void Http_WithAudio_UsesReadWriteTimeoutAndMapsTheFirstAudioTrackIfAny()
    {
        var camera = new CameraOptions { Id = "cam1", Url = "http://127.0.0.1:8000/live.ts", Audio = true };
        IReadOnlyList<string> args = FfmpegArguments.ForRecording(camera, 4, "/spool/cam1/000001");
        Assert.Equal(
            (string[])["-hide_banner", "-nostats", "-loglevel", "warning", "-rw_timeout", "5000000",
                "-i", "http://127.0.0.1:8000/live.ts", "-map", "0:v:0", "-map", "0:a:0?", .. SegmentTail],
            args);
    }

    [Fact]
    public void AUrlWithSpacesOrShellCharacters_StaysOneArgument()
    {
        var camera = new CameraOptions { Id = "cam1", Url = "rtsp://h/a b;rm -rf $HOME", RtspTransport = "udp" };
        IReadOnlyList<string> args = FfmpegArguments.ForRecording(camera, 4, "/spool/cam1/000001");
        Assert.Contains("rtsp://h/a b;rm -rf $HOME", args);
    }
}
