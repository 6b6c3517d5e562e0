using Cctv.Functions.Auth;
using Cctv.Functions.Evidence;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Api;

/// <summary>An evidence bundle made by the API: where to fetch it, and what it must hash to.</summary>
/// <param name="Url">A signed URL of the bundle (an attachment), valid until <paramref name="ExpiresAt"/>.</param>
/// <param name="ObjectName">The bundle's object in the archive bucket.</param>
/// <param name="Sha256">SHA-256 of the bundle file, to check the download against (and to quote in a statement).</param>
/// <param name="Problems">Segments the archive did not give as signed, written as found: <c>verify</c> reports each.</param>
/// <param name="LegalHold">A recording in it is under a legal hold, so the bundle object is under an event-based hold too.</param>
public sealed record ExportResponse(string Url, string ExpiresAt, string ObjectName, string Sha256, long Size, string CameraKey, string From, string To,
    int Segments, int Manifests, int Gaps, int Reads, IReadOnlyList<string> Problems, bool LegalHold, int Salvaged);

/// <summary>
/// <c>POST /api/cameras/{camera}/export?from=&amp;to=</c>: makes the evidence bundle (docs/evidence-bundle.md) of a
/// camera the caller may see over a range (<see cref="EvidenceExport"/>; a camera outside their grants is a 404 like one
/// that does not exist), writes it create-only to the archive bucket under <c>exports/{id}.zip</c> (with its CRC32C,
/// so a corrupted upload is refused), places an event-based hold on it when a recording in it is under a legal hold,
/// and answers with a signed URL of it, its SHA-256 and size. The export is recorded in the audit before anything is
/// written; an export the audit cannot record is refused (503), as every read of footage is.
/// </summary>
public static class ExportApi
{
    public const string ExportPrefix = "exports/";

    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/cameras/{camera}/export", ExportAsync);
        return app;
    }

    private static async Task<IResult> ExportAsync(string camera, HttpContext http, VisibleCatalog catalog, IObjectStore store, IUrlSigner signer,
        PlayerApiOptions options, TimeProvider time, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        CameraMatch match = await catalog.FindCameraAsync(camera, ct);
        if (match.IsAmbiguous)
        {
            return Results.BadRequest(new ApiError(match.AmbiguityMessage(camera)));
        }
        if (match.Camera is not { } found)
        {
            return Results.NotFound(new ApiError("camera not found"));
        }
        if (!IsoTime.TryParse(http.Request.Query["from"], out DateTimeOffset from) || !IsoTime.TryParse(http.Request.Query["to"], out DateTimeOffset to))
        {
            return Results.BadRequest(new ApiError("from and to are required ISO 8601 times with an offset, such as 2026-01-15T03:10:00Z"));
        }
        string id = Guid.CreateVersion7(time.GetUtcNow()).ToString("D");
        string objectName = $"{ExportPrefix}{id}.zip";
        string file = Path.Combine(Path.GetTempPath(), $"cctv-export-{id}.zip");
        try
        {
            var export = new EvidenceExport(catalog.Inner, store, options.ArchiveBucket, time);
            string? forwarded = http.Request.Headers["X-Forwarded-For"].Count > 0 ? string.Join(", ", http.Request.Headers["X-Forwarded-For"].ToArray()) : null;
            var request = new ExportRequest(found.Key, from, to, catalog.Caller.Scope, catalog.Caller.Principal, catalog.Caller.Credential,
                $"POST /api/cameras/{found.Key}/export request {http.TraceIdentifier} (bundle {objectName})", http.Connection.RemoteIpAddress?.ToString(),
                forwarded is null ? null : new string([.. forwarded.Select(c => char.IsControl(c) ? '?' : c)]));
            ExportResult result;
            await using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
            {
                result = await export.WriteAsync(request, output, ct);
                output.Position = 0;
                SegmentDigest digest = await SegmentHasher.HashAsync(output, ct);
                output.Position = 0;
                await store.UploadAsync(new UploadRequest(options.ArchiveBucket, objectName, "application/zip", digest.Crc32CBase64, null, 0,
                    new Dictionary<string, string> { [ObjectMetadata.Sha256] = digest.Sha256 }), output, ct);
                if (result.UnderLegalHold)
                {
                    await store.SetEventBasedHoldAsync(options.ArchiveBucket, objectName, true, ct);
                }
                TimeSpan lifetime = options.UrlLifetime > signer.MaxLifetime ? signer.MaxLifetime : options.UrlLifetime;
                string fileName = $"evidence-{found.Key.RecorderId}-{found.Key.CameraId}-{from.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.zip";
                Uri url = await signer.SignAsync(new SignedUrlRequest(options.ArchiveBucket, objectName, lifetime,
                    ResponseContentDisposition: $"attachment; filename=\"{fileName}\"", ResponseContentType: "application/zip", Endpoint: PublicOrigin.Of(http)), ct);
                BundleIndex index = result.Bundle.Index;
                return Results.Ok(new ExportResponse(url.AbsoluteUri, RecordingItem.Iso(time.GetUtcNow() + lifetime), objectName, digest.Sha256, digest.Size,
                    found.Key.ToString(), RecordingItem.Iso(index.From), RecordingItem.Iso(index.To), index.Segments.Count, index.ManifestFiles.Count, index.Gaps.Count,
                    index.Custody.Reads.Count, result.Bundle.Problems, result.UnderLegalHold, index.SalvagedSegments.Count));
            }
        }
        catch (ExportRefusedException e)
        {
            return e.Refusal == ExportRefusal.BadRange ? Results.BadRequest(new ApiError(e.Message)) : Results.NotFound(new ApiError(e.Message));
        }
        catch (ExportNotRecordedException e)
        {
            Log(http).LogError(e.InnerException, "Refused export of {Camera} (request {RequestId}): it could not be recorded in the audit log", found.Key, http.TraceIdentifier);
            http.Response.Headers.RetryAfter = "5";
            return Results.Json(new ApiError(e.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (ObjectStoreException e) when (e.IsTransient || e.Error == ObjectStoreError.ChecksumMismatch)
        {
            Log(http).LogError(e, "Export of {Camera} (request {RequestId}) could not be stored as {Object}", found.Key, http.TraceIdentifier, objectName);
            http.Response.Headers.RetryAfter = "5";
            return Results.Json(new ApiError("the bundle could not be stored in the archive; try again shortly"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static ILogger Log(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(ExportApi));
}
