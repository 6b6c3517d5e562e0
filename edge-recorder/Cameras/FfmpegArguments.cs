using System.Globalization;
using Cctv.EdgeRecorder.Configuration;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// Builds FFmpeg's argument list for recording one camera into fragmented MP4 segments (a pure function:
/// tested against exact lists). Stream copy only: the camera's encoding is kept, nothing is re-encoded.
/// Fragmented MP4 (empty moov, a fragment per keyframe and at least every quarter second) means a segment cut short by a
/// crash still plays, and what is on disk is at most one fragment behind capture (docs/live-tail.md, "What FFmpeg
/// writes and when"): movenc keeps a fragment in memory until it closes it, and the inner MP4 muxer's 32 KiB write
/// buffer would hold back the fragment's tail (seconds at a low bitrate) unless it is flushed after each packet.
/// </summary>
public static class FfmpegArguments
{
    public const string SegmentPattern = "seg_%06d.mp4";
    public const string SegmentList = "segments.csv";

    /// <summary>Where FFmpeg writes segment <paramref name="sequence"/> of a run (<see cref="SegmentPattern"/>).</summary>
    public static string SegmentFile(string runDirectory, long sequence) =>
        Path.Combine(runDirectory, SegmentPattern.Replace("%06d", sequence.ToString("D6", CultureInfo.InvariantCulture), StringComparison.Ordinal));

    /// <summary>How long FFmpeg waits on a silent source before it gives up (it then exits, and is restarted).</summary>
    public static readonly TimeSpan SocketTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The longest fragment FFmpeg writes (it also starts one at every keyframe).</summary>
    public static readonly TimeSpan FragmentDuration = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The MP4 muxer's options (through the segment muxer, so they reach each segment's own muxer: a top-level
    /// <c>-flush_packets</c> does not, the segment muxer has no file of its own).
    /// </summary>
    public static string SegmentFormatOptions =>
        "movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration="
        + ((long)FragmentDuration.TotalMicroseconds).ToString(CultureInfo.InvariantCulture)
        + ":flush_packets=1";

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
