using System.Globalization;
using Cctv.Functions.Auth;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cctv.Functions.Api;

/// <summary>Settings of the player API.</summary>
public sealed record PlayerApiOptions(string StorageType, TimeSpan UrlLifetime, string ArchiveBucket, int MaxBulkIds = 100);

/// <summary>
/// The player API on the seed documents' paths: list recordings, signed URLs for one or many, download
/// (attachment) and stream (inline) as redirects to a signed URL. Anything that carries a signed URL is
/// marked no-store. An ID that does not exist, or is not ours to show, is a 404. Every answer that gives access to
/// footage is recorded in the audit of reads first (<see cref="ReadAudit"/>), or refused.
/// </summary>
public static class RecordingsApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapRecordingsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        // A backend that cannot sign URLs yet says so (501) instead of failing with a 500.
        api.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (NotSupportedException e)
            {
                return Results.Json(new ApiError(e.Message), statusCode: StatusCodes.Status501NotImplemented);
            }
        });
        api.MapGet("/recordings/", ListAsync);
        api.MapGet("/recordings/get_urls/", GetUrlsAsync);
        api.MapGet("/recordings/{id}/", GetOneAsync);
        api.MapGet("/recordings/{id}/get_url/", GetUrlAsync);
        api.MapGet("/recordings/{id}/download/", (string id, HttpContext http, VisibleCatalog catalog, IUrlSigner signer, PlayerApiOptions options, CancellationToken ct) =>
            RedirectAsync(id, attachment: true, http, catalog, signer, options, ct));
        api.MapGet("/recordings/{id}/stream/", (string id, HttpContext http, VisibleCatalog catalog, IUrlSigner signer, PlayerApiOptions options, CancellationToken ct) =>
            RedirectAsync(id, attachment: false, http, catalog, signer, options, ct));
        api.MapGet("/cameras/", async (VisibleCatalog catalog, CancellationToken ct) => Results.Ok(new
        {
            results = (await catalog.ListCamerasAsync(ct)).Select(c => new CameraItem(c.Key.ToString(), c.Id, c.Name, c.RecorderId, catalog.Caller.SiteOf(c.RecorderId))),
        }));
        api.MapGet("/cameras/{camera}/gaps/", GapsAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, VisibleCatalog catalog, CatalogKey<PageTokens> tokenKeys, PlayerApiOptions options, CancellationToken ct)
    {
        IQueryCollection q = request.Query;
        if (!TryTime(q["from"], "from", out DateTimeOffset? from, out IResult? error)
            || !TryTime(q["to"], "to", out DateTimeOffset? to, out error))
        {
            return error!;
        }
        int pageSize = 50;
        if (q["page_size"].FirstOrDefault() is { } rawSize
            && (!int.TryParse(rawSize, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            return Results.BadRequest(new ApiError($"page_size must be a whole number from 1 to {MaxPageSize}"));
        }
        string[] asked = q["camera_id"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).Distinct(StringComparer.Ordinal).ToArray();
        if (asked.Any(c => !Identifiers.IsValidSlug(c) && !CameraKey.TryParse(c, out _)))
        {
            return Results.BadRequest(new ApiError($"camera_id is not a camera key (RECORDER{CameraKey.Separator}CAMERA) or camera ID"));
        }
        if (asked.Length > options.MaxBulkIds)
        {
            return Results.BadRequest(new ApiError($"at most {options.MaxBulkIds} camera_id values per request"));
        }
        var cameras = new List<CameraKey>();
        foreach (string one in asked)
        {
            CameraMatch match = await catalog.FindCameraAsync(one, ct);
            if (match.IsAmbiguous)
            {
                return Results.BadRequest(new ApiError(match.AmbiguityMessage(one)));
            }
            if (match.Camera is { } found)
            {
                cameras.Add(found.Key);
            }
        }
        if (asked.Length > 0 && cameras.Count == 0)
        {
            // None of the cameras asked for is one the caller may see: an empty list, which never issued a page token,
            // so a token sent with it is not one of this query's (refused as any other foreign token is).
            return q["page_token"].FirstOrDefault() is { Length: > 0 }
                ? Results.BadRequest(new ApiError("page_token does not belong to this query; start again without it"))
                : Results.Ok(new RecordingList([], null));
        }
        string binding = PageTokens.Binding(catalog.Caller.Principal, cameras, from, to, pageSize);
        PageTokens tokens = await tokenKeys.GetAsync(ct);
        PageCursor? after = null;
        if (q["page_token"].FirstOrDefault() is { Length: > 0 } token)
        {
            try
            {
                after = tokens.Open(token, binding);
            }
            catch (PageTokenException e)
            {
                return Results.BadRequest(new ApiError(e.Message));
            }
        }
        RecordingPage page = await catalog.QueryAsync(cameras.Count > 0 ? cameras : null, from, to, pageSize, after, ct);
        return Results.Ok(new RecordingList([.. page.Items.Select(RecordingItem.From)], page.Next is { } next ? tokens.Seal(next, binding) : null));
    }

    private static async Task<IResult> GetOneAsync(string id, VisibleCatalog catalog, CancellationToken ct) =>
        await FindAsync(id, catalog, ct) is { } r ? Results.Ok(RecordingItem.From(r)) : NotFound();

    private static async Task<IResult> GetUrlAsync(string id, HttpContext http, VisibleCatalog catalog, IUrlSigner signer, PlayerApiOptions options, CancellationToken ct)
    {
        NoStore(http);
        Recording? recording = await FindAsync(id, catalog, ct);
        if (recording is null)
        {
            return NotFound();
        }
        if (!recording.State.HasArchiveCopy() || recording.ArchiveObject is null)
        {
            return NotArchived(recording);
        }
        VideoUrl url = await SignAsync(recording, http, signer, options, attachment: false, ct);
        return await ReadAudit.RecordingsAsync(http, catalog, AuditAction.GetUrl, [recording], ct) ?? Results.Ok(url);
    }

    private static async Task<IResult> GetUrlsAsync(HttpContext http, VisibleCatalog catalog, IUrlSigner signer, PlayerApiOptions options, CancellationToken ct)
    {
        NoStore(http);
        string[] ids = http.Request.Query["ids"].Where(i => !string.IsNullOrEmpty(i)).Select(i => i!).Distinct().ToArray();
        if (ids.Length == 0)
        {
            return Results.BadRequest(new ApiError("give one or more ids: ?ids=a&ids=b"));
        }
        if (ids.Length > options.MaxBulkIds)
        {
            return Results.BadRequest(new ApiError($"at most {options.MaxBulkIds} ids per request"));
        }
        var found = (await catalog.GetManyAsync(ids.Where(RecordingId.IsValid).ToList(), ct)).ToDictionary(r => r.Id);
        var results = new List<VideoUrlResult>();
        var signed = new List<Recording>();
        foreach (string id in ids)
        {
            if (!found.TryGetValue(id, out Recording? r))
            {
                results.Add(new VideoUrlResult(id, null, "not found"));
            }
            else if (!r.State.HasArchiveCopy() || r.ArchiveObject is null)
            {
                results.Add(new VideoUrlResult(id, null, $"not archived yet (state: {r.State.ToWire()})"));
            }
            else
            {
                results.Add(new VideoUrlResult(id, await SignAsync(r, http, signer, options, attachment: false, ct), null));
                signed.Add(r);
            }
        }
        return await ReadAudit.RecordingsAsync(http, catalog, AuditAction.GetUrl, signed, ct) ?? Results.Ok(new { results });
    }

    private static async Task<IResult> RedirectAsync(string id, bool attachment, HttpContext http, VisibleCatalog catalog, IUrlSigner signer,
        PlayerApiOptions options, CancellationToken ct)
    {
        NoStore(http);
        Recording? recording = await FindAsync(id, catalog, ct);
        if (recording is null)
        {
            return NotFound();
        }
        if (!recording.State.HasArchiveCopy() || recording.ArchiveObject is null)
        {
            return NotArchived(recording);
        }
        VideoUrl url = await SignAsync(recording, http, signer, options, attachment, ct);
        return await ReadAudit.RecordingsAsync(http, catalog, attachment ? AuditAction.Download : AuditAction.Stream, [recording], ct)
            ?? Results.Redirect(url.Url);
    }

    private static async Task<IResult> GapsAsync(string camera, HttpRequest request, VisibleCatalog catalog, CancellationToken ct)
    {
        CameraMatch match = await catalog.FindCameraAsync(camera, ct);
        if (match.IsAmbiguous)
        {
            return Results.BadRequest(new ApiError(match.AmbiguityMessage(camera)));
        }
        if (match.Camera is not { } found)
        {
            return Results.NotFound(new ApiError("camera not found"));
        }
        if (!TryTime(request.Query["from"], "from", out DateTimeOffset? from, out IResult? error)
            || !TryTime(request.Query["to"], "to", out DateTimeOffset? to, out error))
        {
            return error!;
        }
        IReadOnlyList<RecordingGap> gaps = await catalog.ListGapsAsync(found.Key, from ?? DateTimeOffset.UnixEpoch, to ?? DateTimeOffset.MaxValue.AddDays(-1), ct);
        return Results.Ok(new
        {
            results = gaps.Select(g => new GapItem(g.Camera.ToString(), g.RecorderId, g.CameraId, RecordingItem.Iso(g.StartTime),
                g.EndTime is { } e ? RecordingItem.Iso(e) : null, g.Reason)),
        });
    }

    private static async Task<VideoUrl> SignAsync(Recording r, HttpContext http, IUrlSigner signer, PlayerApiOptions options, bool attachment, CancellationToken ct)
    {
        string fileName = string.Create(CultureInfo.InvariantCulture, $"{r.CameraId}_{r.Announcement.StartTime.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.mp4");
        TimeSpan lifetime = options.UrlLifetime > signer.MaxLifetime ? signer.MaxLifetime : options.UrlLifetime;
        Uri url = await signer.SignAsync(new SignedUrlRequest(options.ArchiveBucket, r.ArchiveObject!, lifetime,
            ResponseContentDisposition: attachment ? $"attachment; filename=\"{fileName}\"" : $"inline; filename=\"{fileName}\"",
            ResponseContentType: r.Announcement.ContentType,
            Endpoint: PublicOrigin.Of(http)), ct);
        RecordingAnnouncement a = r.Announcement;
        return new VideoUrl(url.AbsoluteUri, options.StorageType, (int)lifetime.TotalMinutes, a.ContentType, a.FileSize,
            Math.Round(a.FileSize / (1024.0 * 1024.0), 2),
            string.Create(CultureInfo.InvariantCulture, $"{a.CameraName} {a.StartTime.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"),
            a.CameraName, RecordingItem.Iso(a.StartTime), Math.Round(a.DurationSeconds, 3));
    }

    private static async Task<Recording?> FindAsync(string id, VisibleCatalog catalog, CancellationToken ct) =>
        RecordingId.IsValid(id) ? await catalog.GetAsync(id, ct) : null;

    private static bool TryTime(Microsoft.Extensions.Primitives.StringValues raw, string name, out DateTimeOffset? value, out IResult? error)
    {
        value = null;
        error = null;
        string? s = raw.FirstOrDefault();
        if (string.IsNullOrEmpty(s))
        {
            return true;
        }
        if (s.Length <= 40 && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t))
        {
            value = t;
            return true;
        }
        error = Results.BadRequest(new ApiError($"{name} must be an ISO 8601 time such as 2026-01-15T03:10:00Z"));
        return false;
    }

    private static IResult NotFound() => Results.NotFound(new ApiError("recording not found"));

    private static IResult NotArchived(Recording r) =>
        Results.Conflict(new ApiError($"recording is not archived yet{(r.Reason is null ? "" : ": " + r.Reason)}", r.State.ToWire()));

    private static void NoStore(HttpContext http) => http.Response.Headers.CacheControl = "no-store";
}
