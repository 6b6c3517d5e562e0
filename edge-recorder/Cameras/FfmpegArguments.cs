using System.Globalization;
using Cctv.EdgeRecorder.Configuration;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// Builds FFmpeg's argument list for recording one camera into fragmented MP4 segments (a pure function:
/// tested against exact lists). Stream copy only: the camera's encoding is kept, nothing is re-encoded.
/// Fragmented MP4 (empty moov, a fragment per keyframe) means a segment cut short by a crash still plays.
/// </summary>
public static class FfmpegArguments
{
    public const string SegmentPattern = "seg_%06d.mp4";
    public const string SegmentList = "segments.csv";

    /// <summary>
    /// The MP4 muxer inside each segment: fragmented (empty moov, a fragment at each keyframe and at least every second,
    /// <c>frag_duration</c> in microseconds), and every fragment written through to the file as it is cut
    /// (<c>flush_packets=1</c>; without it the bytes reach the file in 256 KiB blocks, so a low-bitrate camera's
    /// live tail would lag by many seconds). FFmpeg 5.1 with testsrc at 1 Mbit/s, file size sampled every 100 ms: without
    /// these, the file stayed at 28 bytes for 4.5 s, then grew by 262144 at a time; with them it grew by one fragment
    /// (~120 KB) about every second. The outer <c>-flush_packets</c> does not reach the segment's muxer.
    /// </summary>
    public const string SegmentFormatOptions = "movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000:flush_packets=1";

    /// <summary>How long FFmpeg waits on a silent source before it gives up (it then exits, and is restarted).</summary>
    public static readonly TimeSpan SocketTimeout = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<string> ForRecording(CameraOptions camera, int segmentSeconds, string runDirectory)
    {
        var args = new List<string> { "-hide_banner", "-nostats", "-loglevel", "warning" };
        string timeoutMicros = ((long)SocketTimeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
        // The scheme as text: a password with a quote or a backslash is no valid System.Uri, and FFmpeg takes it as it is.
        switch (RecorderConfiguration.SchemeOf(camera.Url))
        {
            case "rtsp" or "rtsps":
                args.AddRange(["-rtsp_transport", camera.RtspTransport, "-timeout", timeoutMicros]);
                break;
            case "http" or "https":
                args.AddRange(["-rw_timeout", timeoutMicros]);
                break;
            case "tcp" or "udp" or "srt":
                args.AddRange(["-timeout", timeoutMicros]);
                break;
        }
        args.AddRange(["-i", camera.Url, "-map", "0:v:0"]);
        if (camera.Audio)
        {
            args.AddRange(["-map", "0:a:0?"]);
        }
        args.AddRange([
            "-c", "copy",
            "-f", "segment",
            "-segment_time", segmentSeconds.ToString(CultureInfo.InvariantCulture),
            "-segment_format", "mp4",
            "-segment_format_options", SegmentFormatOptions,
            "-reset_timestamps", "1",
            "-segment_list", Path.Combine(runDirectory, SegmentList),
            "-segment_list_type", "csv",
            Path.Combine(runDirectory, SegmentPattern),
        ]);
        return args;
    }
}
