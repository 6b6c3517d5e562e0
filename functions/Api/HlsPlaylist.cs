using System.Globalization;
using System.Text;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Api;

/// <summary>
/// Writes an HLS VOD media playlist from a camera's timeline: one entry per archived recording, each with its
/// wall-clock start (<c>EXT-X-PROGRAM-DATE-TIME</c>, millisecond precision) and length (<c>EXTINF</c>); an
/// <c>EXT-X-DISCONTINUITY</c> before the first segment after each gap, with a comment naming the gap and its reason.
/// Segments are the recorder's own fragmented MP4 files, each self-initializing (its own moov), so a new encoder run
/// that follows without a gap needs no discontinuity. A pure function over the spans and a URI for each recording.
/// </summary>
public static class HlsPlaylist
{
    public const string ContentType = "application/vnd.apple.mpegurl";

    public static string Write(IReadOnlyList<TimelineSpan> spans, Func<Recording, string> uriOf, string cameraId, DateTimeOffset from, DateTimeOffset to,
        DateTimeOffset linksValidUntil)
    {
        double longest = 0;
        int segments = 0;
        foreach (TimelineSpan s in spans)
        {
            if (s.Recording is { } r)
            {
                longest = Math.Max(longest, r.Announcement.DurationSeconds);
                segments++;
            }
        }
        var sb = new StringBuilder(256 + segments * 200);
        sb.Append("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n")
            .Append("#EXT-X-TARGETDURATION:").Append(Math.Max(1, (int)Math.Ceiling(longest - 0.0005)).ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("#EXT-X-MEDIA-SEQUENCE:0\n")
            .Append("# camera ").Append(cameraId).Append(", ").Append(Iso(from)).Append(" to ").Append(Iso(to))
            .Append("; segment links valid until ").Append(Iso(linksValidUntil)).Append('\n');
        Recording? previous = null;
        bool afterGap = false;
        foreach (TimelineSpan span in spans)
        {
            if (span.Recording is not { } r)
            {
                afterGap = true;
                sb.Append("# gap ").Append(Iso(span.Start)).Append(" to ").Append(Iso(span.End)).Append(": ").Append(span.Reason);
                if (!string.IsNullOrEmpty(span.Detail))
                {
                    sb.Append(" (").Append(span.Detail.ReplaceLineEndings(" ")).Append(')');
                }
                sb.Append('\n');
                continue;
            }
            if (previous is not null && afterGap)
            {
                sb.Append("#EXT-X-DISCONTINUITY\n");
            }
            sb.Append("#EXT-X-PROGRAM-DATE-TIME:").Append(Iso(r.Announcement.StartTime)).Append('\n')
                .Append("#EXTINF:").Append(r.Announcement.DurationSeconds.ToString("0.000", CultureInfo.InvariantCulture)).Append(",\n")
                .Append(uriOf(r)).Append('\n');
            previous = r;
            afterGap = false;
        }
        sb.Append("#EXT-X-ENDLIST\n");
        return sb.ToString();
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
