using Cctv.Shared.Domain;

namespace Cctv.Functions.Api;

/// <summary>Why a stretch of a camera's timeline has no footage to play (the <c>reason</c> of a gap on the wire).</summary>
public static class GapReasons
{
    /// <summary>The recorder says the camera was not recording (stream lost, camera unreachable, recorder stopped): the catalog's gap, with its reason.</summary>
    public const string CameraOffline = "camera_offline";

    /// <summary>
    /// The recorder ended a run because its wall clock stepped against its monotonic clock, and started a new one on the
    /// clock as it then was: the catalog's gap, whose detail says by how much (<see cref="ClockReasons.ClockStep"/>).
    /// </summary>
    public const string ClockStep = ClockReasons.ClockStep;

    /// <summary>Recorded, and announced by the recorder, but not archived yet (on site and queued, uploading, being verified, or quarantined and re-uploading).</summary>
    public const string NotYetUploaded = "not_yet_uploaded";

    /// <summary>Recorded but lost before it reached the cloud, with the reason the recorder gave.</summary>
    public const string Lost = "lost";

    /// <summary>Archived once, deleted since by the retention policy.</summary>
    public const string Expired = "expired";

    /// <summary>
    /// After footage the cloud salvaged from a recorder that went silent (issue 12): the recorder has been offline since,
    /// and the detail says when, and up to when footage was recovered ("recorder offline since 03:14:07 UTC, footage up
    /// to 03:14:05 UTC recovered").
    /// </summary>
    public const string RecorderOffline = "recorder_offline";

    /// <summary>The catalog holds nothing for this time: no recording, no gap.</summary>
    public const string NoRecording = "no_recording";
}

/// <summary>One stretch of a camera's timeline: an archived recording, or a gap with its reason.</summary>
/// <param name="Recording">The archived recording (a segment), or null (a gap).</param>
/// <param name="Reason">A <see cref="GapReasons"/> value, for a gap.</param>
/// <param name="Detail">What the catalog says about it (the recorder's reason, the recording's state).</param>
/// <param name="Recordings">For gaps made of recordings that cannot be played (not yet uploaded, lost, expired): how many.</param>
public sealed record TimelineSpan(DateTimeOffset Start, DateTimeOffset End, Recording? Recording, string? Reason, string? Detail, int Recordings)
{
    public bool IsSegment => Recording is not null;

    public TimeSpan Length => End - Start;
}

/// <summary>
/// Builds a camera's timeline over [from, to) from the catalog's recordings and gaps: every archived (or salvaged) recording
/// is a segment; every stretch between them is a gap, explained by what covers it, in this order: recordings that cannot be
/// played yet or any more (not yet uploaded, lost, expired, with their state or reason), then the recorder's gaps
/// (camera offline, with its reason), then nothing (no recording; after salvaged footage: recorder offline, since when). Adjacent gaps of the same reason and detail are one
/// gap; a hole shorter than the tolerance between two recordings (clock rounding at a segment cut) is no gap. A pure
/// function: the player API and the HLS playlist both read its output.
/// </summary>
public static class TimelineBuilder
{
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<TimelineSpan> Build(IEnumerable<Recording> recordings, IEnumerable<RecordingGap> gaps, DateTimeOffset from, DateTimeOffset to,
        TimeSpan? tolerance = null)
    {
        TimeSpan slack = tolerance ?? DefaultTolerance;
        var archived = new List<Recording>();
        var unplayable = new List<Recording>();
        foreach (Recording r in recordings)
        {
            if (r.Announcement.EndTime <= from || r.Announcement.StartTime >= to)
            {
                continue;
            }
            (r.State.HasArchiveCopy() && r.ArchiveObject is not null ? archived : unplayable).Add(r);
        }
        archived.Sort(ByStart);
        unplayable.Sort(ByStart);
        List<RecordingGap> edgeGaps = [.. gaps.Where(g => g.StartTime < to && (g.EndTime ?? to) > from).OrderBy(g => g.StartTime)];

        var spans = new List<TimelineSpan>(archived.Count + 16);
        DateTimeOffset cursor = from;
        string? offline = null; // after salvaged footage: what explains the silence that follows it
        foreach (Recording r in archived)
        {
            DateTimeOffset start = Max(r.Announcement.StartTime, from);
            if (start - cursor > slack)
            {
                FillHole(cursor, start, unplayable, edgeGaps, slack, spans, offline);
            }
            spans.Add(new TimelineSpan(start, Min(r.Announcement.EndTime, to), r, null, null, 0));
            cursor = Max(cursor, Min(r.Announcement.EndTime, to));
            offline = r.State == CloudState.Salvaged ? OfflineDetail(r) : null;
        }
        if (to - cursor > slack || (archived.Count == 0 && to > from))
        {
            FillHole(cursor, to, unplayable, edgeGaps, slack, spans, offline);
        }
        return spans;
    }

    /// <summary>"recorder offline since 03:14:07 UTC, footage up to 03:14:05 UTC recovered", from a salvaged recording.</summary>
    public static string OfflineDetail(Recording salvaged)
    {
        string upTo = salvaged.Announcement.EndTime.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        return SalvageReasons.OfflineSince(salvaged.Reason) is { } since
            ? $"recorder offline since {since.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} UTC, footage up to {upTo} UTC recovered"
            : $"recorder offline, footage up to {upTo} UTC recovered";
    }

    /// <summary>Explains [start, end): the unplayable recordings first, then the recorder's gaps, then "no recording"; merges what reads the same.</summary>
    /// <param name="offline">Set after salvaged footage: what is not explained otherwise is the recorder's silence, not "no recording".</param>
    private static void FillHole(DateTimeOffset start, DateTimeOffset end, List<Recording> unplayable, List<RecordingGap> edgeGaps, TimeSpan slack,
        List<TimelineSpan> spans, string? offline)
    {
        (string nothingReason, string nothingDetail) = offline is null ? (GapReasons.NoRecording, NoRecordingDetail) : (GapReasons.RecorderOffline, offline);
        var pieces = new List<TimelineSpan>();
        var open = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        DateTimeOffset cursor = start;
        foreach (Recording r in unplayable)
        {
            if (r.Announcement.EndTime <= cursor || r.Announcement.StartTime >= end)
            {
                continue;
            }
            DateTimeOffset s = Max(r.Announcement.StartTime, cursor);
            if (s > cursor)
            {
                open.Add((cursor, s));
            }
            DateTimeOffset e = Min(r.Announcement.EndTime, end);
            (string reason, string detail) = Explain(r);
            pieces.Add(new TimelineSpan(s, e, null, reason, detail, 1));
            cursor = e;
        }
        if (cursor < end)
        {
            open.Add((cursor, end));
        }
        foreach ((DateTimeOffset s0, DateTimeOffset e0) in open)
        {
            DateTimeOffset c = s0;
            foreach (RecordingGap g in edgeGaps)
            {
                DateTimeOffset gEnd = g.EndTime ?? DateTimeOffset.MaxValue;
                if (gEnd <= c || g.StartTime >= e0)
                {
                    continue;
                }
                DateTimeOffset s = Max(g.StartTime, c);
                if (s > c)
                {
                    pieces.Add(new TimelineSpan(c, s, null, nothingReason, nothingDetail, 0));
                }
                DateTimeOffset e = Min(gEnd, e0);
                pieces.Add(new TimelineSpan(s, e, null, ClockReasons.IsClockStep(g.Reason) ? GapReasons.ClockStep : GapReasons.CameraOffline, g.Reason, 0));
                c = e;
            }
            if (c < e0)
            {
                pieces.Add(new TimelineSpan(c, e0, null, nothingReason, nothingDetail, 0));
            }
        }
        pieces.Sort((a, b) => a.Start.CompareTo(b.Start));
        foreach (TimelineSpan piece in pieces)
        {
            if (piece.Reason == GapReasons.NoRecording && piece.Length <= slack && pieces.Count > 1)
            {
                continue; // a rounding sliver between two explained stretches
            }
            if (spans.Count > 0 && spans[^1] is { IsSegment: false } last && last.Reason == piece.Reason && last.Detail == piece.Detail
                && piece.Start - last.End <= slack)
            {
                spans[^1] = last with { End = Max(last.End, piece.End), Recordings = last.Recordings + piece.Recordings };
            }
            else
            {
                spans.Add(piece);
            }
        }
    }

    private const string NoRecordingDetail = "the catalog holds no recording and no gap for this time";

    private static (string Reason, string Detail) Explain(Recording r) => r.State switch
    {
        CloudState.Lost => (GapReasons.Lost, r.Reason ?? "lost on the recorder"),
        CloudState.Expired => (GapReasons.Expired, r.Reason ?? "deleted by the retention policy"),
        CloudState.Announced => (GapReasons.NotYetUploaded, "announced: recorded on site, not uploaded yet"),
        CloudState.Staged => (GapReasons.NotYetUploaded, "staged: uploaded, being verified"),
        CloudState.Quarantined => (GapReasons.NotYetUploaded, "quarantined, re-upload requested: " + (r.Reason ?? "checksum mismatch")),
        CloudState.Salvaging => (GapReasons.NotYetUploaded, "salvaging: " + (r.Reason ?? "the recorder went silent") + "; the cloud is finishing its live upload"),
        _ => (GapReasons.NotYetUploaded, r.State.ToWire()),
    };

    private static int ByStart(Recording a, Recording b)
    {
        int c = a.Announcement.StartTime.CompareTo(b.Announcement.StartTime);
        return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
