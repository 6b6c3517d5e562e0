using System.Globalization;
using System.Text.RegularExpressions;
using Cctv.Functions.Auth;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Cctv.Functions.Api;

/// <summary>Limits and lifetimes of the time-range API.</summary>
/// <param name="MaxRange">The longest range one timeline or playlist covers (a day of 4-second segments is 21,600 entries).</param>
/// <param name="MaxRecordings">The most recordings one range may hold before the API asks for a narrower one.</param>
/// <param name="MaxPlaylistLifetime">The longest a playlist's segment links live, however long its range.</param>
/// <param name="SegmentRedirectLifetime">The life of the signed storage URL a segment link redirects to (long enough to fetch one segment).</param>
/// <param name="GapTolerance">A hole between recordings up to this long is a segment cut, not a gap.</param>
public sealed record PlaybackOptions(
    TimeSpan MaxRange,
    int MaxRecordings,
    TimeSpan MaxPlaylistLifetime,
    TimeSpan SegmentRedirectLifetime,
    TimeSpan GapTolerance)
{
    public static PlaybackOptions Default { get; } = new(TimeSpan.FromHours(24), 50_000, TimeSpan.FromDays(2), TimeSpan.FromMinutes(15), TimeSpan.FromSeconds(1));
}

/// <summary>One stretch of the timeline on the wire; a segment names its recorder run (whose clock state is in the response's <c>clocks</c>).</summary>
/// A salvaged segment (issue 12) says so in <c>state</c> (<c>salvaged</c>) and why in <c>detail</c>; other segments have no state (archived).
public sealed record TimelineEntry(string Type, string StartTime, string EndTime, double Duration, string? Id, string? Reason, string? Detail, int? Recordings,
    long? Run = null, string? State = null);

/// <summary>
/// The recorder's clock when one of its runs started (<see cref="ClockState"/>), as the timeline returns it: every
/// segment of the run is timed by that clock. Seconds; an unknown quantity is null.
/// </summary>
public sealed record RunClock(long Run, bool Synchronised, double? OffsetSeconds, double? MaxErrorSeconds, double? EstimatedErrorSeconds, string Source, string ReadAt)
{
    public static RunClock From(long run, ClockState c) => new(run, c.Synchronised, Seconds(c.Offset), Seconds(c.MaxError), Seconds(c.EstimatedError), c.Source,
        RecordingItem.Iso(c.ReadAt));

    private static double? Seconds(TimeSpan? t) => t is { } v ? Math.Round(v.TotalSeconds, 6) : null;
}

/// <summary>A break found in the camera's evidence chain (docs/evidence-format.md), as the timeline shows it.</summary>
public sealed record ChainBreakItem(string Kind, string Where, string Detail, string? StartTime, string? EndTime, string Manifest, string DetectedAt);

/// <summary>
/// A camera's timeline over a range: what can be played, what cannot and why, the clock state of each run its segments
/// come from, and any break in its evidence chain over the range.
/// </summary>
public sealed record TimelineResponse(string CameraKey, string RecorderId, string CameraId, string From, string To, double RecordedSeconds, double GapSeconds, IReadOnlyList<TimelineEntry> Entries,
    IReadOnlyList<RunClock>? Clocks = null, IReadOnlyList<ChainBreakItem>? ChainBreaks = null);

/// <summary>
/// The time-range part of the player API: <c>GET /api/cameras/{camera}/timeline/?from=&amp;to=</c> (segments and
/// gaps with their reasons, JSON) and <c>GET /api/cameras/{camera}/playlist.m3u8?from=&amp;to=</c> (HLS VOD), both
/// over the caller's visible catalog (a camera outside their grants is a 404, like one that does not exist), and
/// <c>GET /playback/{id}.mp4</c>, where a playlist's segment links lead: a redirect to a freshly signed URL.
/// </summary>
public static partial class PlaybackApi
{
    public static IEndpointRouteBuilder MapPlaybackApi(this IEndpointRouteBuilder app)
    {
        // {camera} is a camera key RECORDER~CAMERA (or a camera ID the caller has only one of).
        app.MapGet("/api/cameras/{camera}/timeline/", TimelineAsync);
        app.MapGet("/api/cameras/{camera}/playlist.m3u8", PlaylistAsync);
        app.MapMethods(PlaybackLinks.PathPrefix + "{id}.mp4", [HttpMethods.Get, HttpMethods.Head], SegmentAsync);
        return app;
    }

    private static async Task<IResult> TimelineAsync(string camera, HttpContext http, VisibleCatalog catalog, PlaybackOptions options, TimeProvider time,
        CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        DateTimeOffset now = time.GetUtcNow();
        (RangeData? loaded, IResult? refused) = await LoadAsync(camera, http.Request, catalog, options, now, ct);
        if (loaded is not { } range)
        {
            return refused!;
        }
        DateTimeOffset to = range.To > now ? now : range.To;
        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(range.Recordings, range.Gaps, range.From, to > range.From ? to : range.From, options.GapTolerance);
        var entries = new List<TimelineEntry>(spans.Count);
        double recorded = 0, gaps = 0;
        var clocks = new SortedDictionary<long, RunClock>();
        foreach (TimelineSpan s in spans)
        {
            double seconds = Math.Round(s.Length.TotalSeconds, 3);
            if (s.Recording is { } r)
            {
                recorded += s.Length.TotalSeconds;
                bool salvaged = r.State == CloudState.Salvaged;
                entries.Add(new TimelineEntry("segment", RecordingItem.Iso(r.Announcement.StartTime), RecordingItem.Iso(r.Announcement.EndTime),
                    Math.Round(r.Announcement.DurationSeconds, 3), r.Id, null, salvaged ? r.Reason : null, null, r.Announcement.Run,
                    salvaged ? r.State.ToWire() : null));
                if (r.Announcement.Clock is { } clock && !clocks.ContainsKey(r.Announcement.Run))
                {
                    clocks[r.Announcement.Run] = RunClock.From(r.Announcement.Run, clock);
                }
            }
            else
            {
                gaps += s.Length.TotalSeconds;
                entries.Add(new TimelineEntry("gap", RecordingItem.Iso(s.Start), RecordingItem.Iso(s.End), seconds, null, s.Reason, s.Detail,
                    s.Recordings > 0 ? s.Recordings : null));
            }
        }
        // Breaks of the chain over the range (or of unknown time): shown, never hidden or repaired.
        List<ChainBreakItem> breaks = [.. (await catalog.ListChainBreaksAsync(range.Camera, ct))
            .Where(b => b.From is not { } f || b.To is not { } t || (f < to && t > range.From))
            .Select(b => new ChainBreakItem(b.Kind, b.Where, b.Detail, b.From is { } f ? RecordingItem.Iso(f) : null, b.To is { } t ? RecordingItem.Iso(t) : null,
                b.ManifestObject, RecordingItem.Iso(b.DetectedAt)))];
        return Results.Ok(new TimelineResponse(range.Camera.ToString(), range.Camera.RecorderId, range.Camera.CameraId, RecordingItem.Iso(range.From), RecordingItem.Iso(to > range.From ? to : range.From),
            Math.Round(recorded, 3), Math.Round(gaps, 3), entries, [.. clocks.Values], breaks));
    }

    private static async Task<IResult> PlaylistAsync(string camera, HttpContext http, VisibleCatalog catalog, PlaybackOptions options, PlayerApiOptions player,
        CatalogKey<PlaybackLinks> keys, TimeProvider time, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        DateTimeOffset now = time.GetUtcNow();
        (RangeData? loaded, IResult? refused) = await LoadAsync(camera, http.Request, catalog, options, now, ct);
        if (loaded is not { } range)
        {
            return refused!;
        }
        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(range.Recordings, range.Gaps, range.From, range.To, options.GapTolerance);
        if (!spans.Any(s => s.IsSegment))
        {
            return Results.NotFound(new ApiError("no archived footage of this camera in that range; see the timeline for why"));
        }
        // A viewer may start late and watch the whole range at normal speed: the links live that long on top of a link's usual life.
        TimeSpan life = player.UrlLifetime + (range.To - range.From);
        DateTimeOffset validUntil = now + (life > options.MaxPlaylistLifetime ? options.MaxPlaylistLifetime : life);
        PlaybackLinks links = await keys.GetAsync(ct);
        using PlaybackLinks.LinkWriter writer = links.Writer(validUntil);
        string playlist = HlsPlaylist.Write(spans, r => writer.For(r.Id), range.Camera.ToString(), range.From, range.To, validUntil);
        return await ReadAudit.RangeAsync(http, catalog.Inner, AuditAction.Playlist, catalog.Caller.Principal, catalog.Caller.Credential, range.Camera,
            range.From, range.To, ct) ?? Results.Text(playlist, HlsPlaylist.ContentType);
    }

    /// <summary>A playlist's segment link: checked (MAC, expiry), then redirected to a signed URL of the archived object.</summary>
    private static async Task<IResult> SegmentAsync(string id, HttpContext http, ICatalog catalog, IUrlSigner signer, PlayerApiOptions player,
        PlaybackOptions options, CatalogKey<PlaybackLinks> keys, TimeProvider time, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        PlaybackLinks links = await keys.GetAsync(ct);
        IQueryCollection q = http.Request.Query;
        switch (links.Check(id, q["exp"].FirstOrDefault(), q["sig"].FirstOrDefault(), time.GetUtcNow()))
        {
            case PlaybackCheck.Expired:
                return Results.Json(new ApiError("this playlist has expired; ask the API for a new one"), statusCode: StatusCodes.Status403Forbidden);
            case PlaybackCheck.BadSignature or PlaybackCheck.Malformed:
                return Results.Json(new ApiError("this link is not one the API issued"), statusCode: StatusCodes.Status403Forbidden);
        }
        Recording? r = await catalog.GetAsync(id, ct);
        if (r is null || !r.State.HasArchiveCopy() || r.ArchiveObject is null)
        {
            return Results.NotFound(new ApiError("recording not found or no longer archived"));
        }
        TimeSpan lifetime = options.SegmentRedirectLifetime > signer.MaxLifetime ? signer.MaxLifetime : options.SegmentRedirectLifetime;
        Uri url = await signer.SignAsync(new SignedUrlRequest(player.ArchiveBucket, r.ArchiveObject, lifetime,
            ResponseContentType: r.Announcement.ContentType, Endpoint: PublicOrigin.Of(http)), ct);
        // A segment link carries no principal: whoever holds the playlist may follow it. The playlist's own entry names who
        // it was issued to; this one names the link (by its expiry) and where it was followed from.
        return await ReadAudit.RecordingsAsync(http, catalog, AuditAction.PlaybackLink, LinkPrincipal, "link:" + q["exp"].FirstOrDefault(), [r], ct)
            ?? Results.Redirect(url.AbsoluteUri);
    }

    private sealed record RangeData(CameraKey Camera, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<Recording> Recordings, IReadOnlyList<RecordingGap> Gaps);

    /// <summary>
    /// Checks the camera and the range, and reads every recording and gap of the camera over it that the caller may
    /// see; or the answer that refuses the request.
    /// </summary>
    private static async Task<(RangeData? Range, IResult? Refused)> LoadAsync(string asked, HttpRequest request, VisibleCatalog catalog, PlaybackOptions options, DateTimeOffset now,
        CancellationToken ct)
    {
        CameraMatch match = await catalog.FindCameraAsync(asked, ct);
        if (match.IsAmbiguous)
        {
            return (null, Results.BadRequest(new ApiError(match.AmbiguityMessage(asked))));
        }
        if (match.Camera is not { } camera)
        {
            return (null, CameraNotFound());
        }
        if (!IsoTime.TryParse(request.Query["from"], out DateTimeOffset from) || !IsoTime.TryParse(request.Query["to"], out DateTimeOffset to))
        {
            return (null, Results.BadRequest(new ApiError("from and to are required ISO 8601 times with an offset, such as 2026-01-15T03:10:00Z")));
        }
        if (to <= from)
        {
            return (null, Results.BadRequest(new ApiError("to must be after from")));
        }
        if (to - from > options.MaxRange)
        {
            return (null, Results.BadRequest(new ApiError($"a range covers at most {options.MaxRange.TotalHours} hours; ask for several")));
        }
        if (from > now.AddDays(1))
        {
            return (null, Results.BadRequest(new ApiError("from is in the future")));
        }
        var recordings = new List<Recording>();
        PageCursor? after = null;
        do
        {
            RecordingPage page = await catalog.QueryAsync([camera.Key], from, to, 1000, after, ct);
            recordings.AddRange(page.Items);
            after = page.Next;
            if (recordings.Count > options.MaxRecordings)
            {
                return (null, Results.BadRequest(new ApiError($"the range holds more than {options.MaxRecordings} recordings; ask for a shorter one")));
            }
        }
        while (after is not null);
        IReadOnlyList<RecordingGap> gaps = await catalog.ListGapsAsync(camera.Key, from, to, ct);
        return (new RangeData(camera.Key, from, to, recordings, gaps), null);
    }

    /// <summary>Who the audit names for a followed segment link.</summary>
    public const string LinkPrincipal = "playback-link";

    private static IResult CameraNotFound() => Results.NotFound(new ApiError("camera not found"));
}

/// <summary>Strict ISO 8601 date-times for the API: a date, a time to the second or finer, and a zone (Z or ±hh:mm); nothing looser.</summary>
public static partial class IsoTime
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(StringValues raw, out DateTimeOffset value)
    {
        value = default;
        string? s = raw.Count == 1 ? raw[0] : null;
        return s is { Length: <= 40 } && Pattern().IsMatch(s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out value)
            && value.Year >= 2000;
    }
}
