using Cctv.Shared.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Cctv.Functions.Api;

/// <summary>
/// The embedded backend's answer to a signed Cloud Storage URL: serves an object's bytes (with HTTP range
/// support, so browsers can seek) only when the HMAC signature is right and the link has not expired.
/// </summary>
public static class LocalStorageEndpoint
{
    public static IEndpointRouteBuilder MapLocalStorage(this IEndpointRouteBuilder app)
    {
        app.MapGet(HmacUrlSigner.PathPrefix + "{bucket}/{**objectName}", Serve);
        return app;
    }

    private static async Task<IResult> Serve(string bucket, string objectName, HttpContext http, LocalBackend backend, CancellationToken ct)
    {
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
        if (disposition is not null)
        {
            http.Response.Headers[HeaderNames.ContentDisposition] = disposition;
        }
        http.Response.Headers.CacheControl = "private, max-age=3600";
        return Results.File(backend.Store.DataPathOf(bucket, objectName), type ?? meta.ContentType,
            lastModified: meta.Updated, entityTag: new EntityTagHeaderValue($"\"{meta.Generation}\""), enableRangeProcessing: true);
    }
}
