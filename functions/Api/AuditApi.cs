using System.Globalization;
using Cctv.Functions.Auth;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Cctv.Functions.Api;

/// <summary>One read of footage on the wire (snake_case).</summary>
public sealed record AuditItem(
    string Id,
    string At,
    string Action,
    string Principal,
    string? Credential,
    string CameraKey,
    string RecorderId,
    string CameraId,
    string? Site,
    IReadOnlyList<string> RecordingIds,
    string? From,
    string? To,
    string? ClientAddress,
    string? ForwardedFor,
    string? RequestId)
{
    public static AuditItem Of(AuditEntry e, string? site) => new(e.Id, RecordingItem.Iso(e.At), e.Read.Action.ToWire(), e.Read.Principal, e.Read.Credential,
        e.Read.Camera.ToString(), e.Read.Camera.RecorderId, e.Read.Camera.CameraId, site, e.Read.RecordingIds,
        e.Read.From is { } f ? RecordingItem.Iso(f) : null, e.Read.To is { } t ? RecordingItem.Iso(t) : null, e.Read.ClientAddress, e.Read.ForwardedFor,
        e.Read.RequestId);
}

public sealed record AuditList(IReadOnlyList<AuditItem> Results, string? NextPageToken);

/// <summary>
/// <c>GET /api/audit?camera=&amp;recorder=&amp;principal=&amp;from=&amp;to=&amp;page_size=&amp;page_token=</c>: the audit of reads
/// of footage, newest first, for operators only (the embedded backend's token, or a grant of everything); anyone else
/// gets the 404 of a route that does not exist, as with <c>/api/status</c>, so a caller granted one site learns nothing
/// of another's reads. The query still carries the caller's scope, so an entry outside it could not be read even if
/// the operator check were mistaken. <c>from</c> and <c>to</c> bound the time of the read (catalog time), strict ISO
/// 8601; <c>page_token</c> is sealed (<see cref="PageTokens"/>) for this caller and these filters. Anything malformed,
/// a range that ends before it starts, a page size out of bounds, a forged or foreign token: 400.
/// </summary>
public static class AuditApi
{
    public const int DefaultPageSize = 100;
    private const int MaxPrincipalLength = AuditRead.MaxTextLength;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", ListAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, VisibleCatalog catalog, CatalogKey<PageTokens> tokenKeys, CancellationToken ct)
    {
        Caller caller = catalog.Caller;
        if (!caller.SeesEverything)
        {
            return Results.NotFound(new ApiError("not found"));
        }
        IQueryCollection q = request.Query;
        foreach (string name in new[] { "camera", "recorder", "principal", "from", "to", "page_size", "page_token" })
        {
            if (q[name].Count > 1)
            {
                return Results.BadRequest(new ApiError($"{name} may be given once"));
            }
        }
        CameraKey? camera = null;
        if (One(q["camera"]) is { } asked)
        {
            CameraMatch match = await catalog.FindCameraAsync(asked, ct);
            if (match.IsAmbiguous)
            {
                return Results.BadRequest(new ApiError(match.AmbiguityMessage(asked)));
            }
            if (match.Camera is null && !CameraKey.TryParse(asked, out _))
            {
                return Results.BadRequest(new ApiError($"camera is not a camera key (RECORDER{CameraKey.Separator}CAMERA) or the ID of one camera"));
            }
            // A well-formed key of a camera the catalog does not list (any more) still has reads to show.
            camera = match.Camera?.Key ?? (CameraKey.TryParse(asked, out CameraKey key) ? key : null);
        }
        string? recorder = One(q["recorder"]);
        if (recorder is not null && !Identifiers.IsValidSlug(recorder))
        {
            return Results.BadRequest(new ApiError($"recorder is not a recorder ID: {Identifiers.SlugRule}"));
        }
        string? principal = One(q["principal"]);
        if (principal is not null && (principal.Length > MaxPrincipalLength || principal.Any(char.IsControl)))
        {
            return Results.BadRequest(new ApiError($"principal is at most {MaxPrincipalLength} printable characters, such as user:anna@example.com or key:NAME"));
        }
        DateTimeOffset? from = null, to = null;
        if (One(q["from"]) is { } rawFrom)
        {
            if (!IsoTime.TryParse(rawFrom, out DateTimeOffset f))
            {
                return Results.BadRequest(new ApiError("from must be an ISO 8601 time with an offset, such as 2026-01-15T03:10:00Z"));
            }
            from = f;
        }
        if (One(q["to"]) is { } rawTo)
        {
            if (!IsoTime.TryParse(rawTo, out DateTimeOffset t))
            {
                return Results.BadRequest(new ApiError("to must be an ISO 8601 time with an offset, such as 2026-01-15T03:10:00Z"));
            }
            to = t;
        }
        if (from is { } start && to is { } end && end <= start)
        {
            return Results.BadRequest(new ApiError("to must be after from"));
        }
        int pageSize = DefaultPageSize;
        if (One(q["page_size"]) is { } rawSize
            && (!int.TryParse(rawSize, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > AuditQuery.MaxPageSize))
        {
            return Results.BadRequest(new ApiError($"page_size must be a whole number from 1 to {AuditQuery.MaxPageSize}"));
        }
        string binding = Binding(caller.Principal, camera, recorder, principal, from, to, pageSize);
        PageTokens tokens = await tokenKeys.GetAsync(ct);
        PageCursor? after = null;
        if (One(q["page_token"]) is { } token)
        {
            try
            {
                after = tokens.Open(token, binding);
            }
            catch (PageTokenException e)
            {
                return Results.BadRequest(new ApiError(e.Message.Replace("same camera_id, from, to and page_size", "same camera, recorder, principal, from, to and page_size",
                    StringComparison.Ordinal)));
            }
        }
        AuditPage page = await catalog.Inner.QueryAuditAsync(new AuditQuery(caller.Scope, camera, recorder, principal, from, to, pageSize, after), ct);
        // A second line: an entry outside the caller's scope never leaves, whatever the query returned.
        List<AuditEntry> shown = [.. page.Items.Where(e => caller.CanSee(e.Read.Camera))];
        return Results.Ok(new AuditList([.. shown.Select(e => AuditItem.Of(e, caller.SiteOf(e.Read.Camera.RecorderId)))],
            page.Next is { } next && shown.Count == page.Items.Count ? tokens.Seal(next, binding) : null));
    }

    /// <summary>What an audit page token is bound to: the caller, the filters and the page size, apart from every recordings token.</summary>
    public static string Binding(string caller, CameraKey? camera, string? recorder, string? principal, DateTimeOffset? from, DateTimeOffset? to, int pageSize) =>
        "audit\n" + PageTokens.Binding(caller, camera is { } c ? [c] : [], from, to, pageSize) + "\n" + (recorder ?? "-") + "\n" + (principal is null ? "-" : "=" + principal);

    private static string? One(StringValues values) => values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;
}
