using Cctv.Shared.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Cctv.Functions.Api;

/// <summary>
/// The embedded backend's answer to a signed Cloud Storage URL: serves an object's bytes (with HTTP range
/// support, so browsers can seek) only when the HMAC signature is right and the link has not expired. The bytes are
/// served on the API's own origin, so nothing a recorder uploaded may run there: the content type comes from an
/// allow-list of media types (anything else is <c>application/octet-stream</c>, as an attachment), and every answer
/// under <c>/storage/</c> carries <c>X-Content-Type-Options: nosniff</c> and <c>Content-Security-Policy: sandbox</c>.
/// </summary>
public static class LocalStorageEndpoint
{
    public const string FallbackContentType = "application/octet-stream";

    /// <summary>The media types served as themselves: video, playlists, still images. Nothing a browser would run.</summary>
    public static readonly IReadOnlySet<string> AllowedContentTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "video/mp4", "video/mp2t", "video/webm", "video/quicktime", "video/x-matroska",
        "audio/mp4", "audio/aac", "audio/mpeg",
        "application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl",
        "image/jpeg", "image/png", "image/webp",
    };

    public static IEndpointRouteBuilder MapLocalStorage(this IEndpointRouteBuilder app)
    {
        app.MapGet(HmacUrlSigner.PathPrefix + "{bucket}/{**objectName}", Serve);
        return app;
    }

    /// <summary>Puts the sandboxing headers on every answer under <c>/storage/</c>, refusals and unmatched paths included.</summary>
    public static WebApplication UseLocalStorageHeaders(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments(HmacUrlSigner.PathPrefix.TrimEnd('/')))
            {
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers.ContentSecurityPolicy = "sandbox";
            }
            return next(http);
        });
        return app;
    }

    /// <summary>The media type of an announced content type if it is allowed (lower-cased, without parameters), else null.</summary>
    public static string? AllowedType(string? announced)
    {
        if (string.IsNullOrWhiteSpace(announced) || !MediaTypeHeaderValue.TryParse(announced, out MediaTypeHeaderValue? parsed) || parsed.MediaType.Value is not { } type)
        {
            return null;
        }
        string media = type.ToLowerInvariant();
        return AllowedContentTypes.Contains(media) ? media : null;
    }

    /// <summary>The disposition to send for a type that is not allowed: an attachment, keeping a file name the signed link asked for.</summary>
    public static string AsAttachment(string? disposition)
    {
        if (disposition is not null && ContentDispositionHeaderValue.TryParse(disposition, out ContentDispositionHeaderValue? parsed))
        {
            parsed.DispositionType = "attachment";
            return parsed.ToString();
        }
        return "attachment";
    }

    private static async Task<IResult> Serve(string bucket, string objectName, HttpContext http, LocalBackend backend, CancellationToken ct)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox";
        IQueryCollection q = http.Request.Query;
        string? disposition = q[HmacUrlSigner.DispositionParameter].FirstOrDefault();
        string? type = q[HmacUrlSigner.ContentTypeParameter].FirstOrDefault();
        UrlCheck check = backend.Signer.Verify(bucket, objectName, q[HmacUrlSigner.ExpiresParameter].FirstOrDefault(),
            q[HmacUrlSigner.SignatureParameter].FirstOrDefault(), disposition, type);
        switch (check)
        {
            case UrlCheck.Expired:
                return Results.Json(new ApiError("this link has expired; ask the API for a new one"), statusCode: StatusCodes.Status403Forbidden);
            case UrlCheck.BadSignature or UrlCheck.Malformed:
                return Results.Json(new ApiError("the signature does not match this request"), statusCode: StatusCodes.Status403Forbidden);
        }
        if (!LocalNames.IsValidBucket(bucket) || !LocalNames.IsValidObjectName(objectName))
        {
            return Results.NotFound(new ApiError("no such object"));
        }
        var meta = await backend.Store.GetAsync(bucket, objectName, ct);
        if (meta is null)
        {
            return Results.NotFound(new ApiError("no such object"));
        }
        string? served = AllowedType(type ?? meta.ContentType);
        if (served is null)
        {
            disposition = AsAttachment(disposition);
        }
        if (disposition is not null)
        {
            http.Response.Headers[HeaderNames.ContentDisposition] = disposition;
        }
        http.Response.Headers.CacheControl = "private, max-age=3600";
        return Results.File(backend.Store.DataPathOf(bucket, objectName), served ?? FallbackContentType,
            lastModified: meta.Updated, entityTag: new EntityTagHeaderValue($"\"{meta.Generation}\""), enableRangeProcessing: true);
    }
}
