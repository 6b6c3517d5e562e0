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
        Span<char> seconds = stackalloc char[32];
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
            sb.Append("#EXT-X-PROGRAM-DATE-TIME:");
            AppendIso(sb, r.Announcement.StartTime);
            r.Announcement.DurationSeconds.TryFormat(seconds, out int written, "F3", CultureInfo.InvariantCulture);
            sb.Append("\n#EXTINF:").Append(seconds[..written]).Append(",\n").Append(uriOf(r)).Append('\n');
            previous = r;
            afterGap = false;
        }
        sb.Append("#EXT-X-ENDLIST\n");
        return sb.ToString();
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>yyyy-MM-ddTHH:mm:ss.fffZ, written digit by digit (a playlist has thousands of them; the format string is slower).</summary>
    private static void AppendIso(StringBuilder sb, DateTimeOffset t)
    {
        DateTime u = t.UtcDateTime;
        Span<char> c = stackalloc char[24];
        Digits(c[..4], u.Year);
        c[4] = '-';
        Digits(c[5..7], u.Month);
        c[7] = '-';
        Digits(c[8..10], u.Day);
        c[10] = 'T';
        Digits(c[11..13], u.Hour);
        c[13] = ':';
        Digits(c[14..16], u.Minute);
        c[16] = ':';
        Digits(c[17..19], u.Second);
        c[19] = '.';
        Digits(c[20..23], u.Millisecond);
        c[23] = 'Z';
        sb.Append(c);
    }

    private static void Digits(Span<char> into, int value)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
