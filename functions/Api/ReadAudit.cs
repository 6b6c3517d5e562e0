using Cctv.Functions.Auth;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Api;

/// <summary>
/// Writes the audit entries of a read of footage (<see cref="ICatalog.RecordReadAsync"/>) before the API hands out
/// what gives access to it (a signed URL, a redirect to one, a playlist of segment links).
/// <para>
/// A read whose entry cannot be stored is refused: 503 with a message that says so, and the signed URL made for it is
/// thrown away unsent. This is evidence-grade footage: its custody record must account for every read, and a read
/// that left no trace would make "these are all the reads" untrue with nothing to show it. Refusing costs availability
/// only while the catalog cannot be written, which is also when new footage cannot be archived; answering would cost
/// the audit's completeness for good. The refusal is never a bare 500: the caller learns why and that retrying helps.
/// </para>
/// <para>
/// Where from: the connection's peer address as the server sees it. X-Forwarded-For is a claim any client can make,
/// and no setting (<see cref="PublicOrigin"/> has none) says which proxy to believe, so it is kept beside the address,
/// labelled, and never stands in for it.
/// </para>
/// </summary>
public static class ReadAudit
{
    public const string RefusalMessage = "this read could not be recorded in the audit log, and footage is never handed out unrecorded; try again shortly";

    /// <summary>The reads of recordings by ID: one entry per camera. Null when recorded; otherwise the refusal to answer with.</summary>
    public static Task<IResult?> RecordingsAsync(HttpContext http, ICatalog catalog, AuditAction action, string principal, string? credential,
        IEnumerable<Recording> recordings, CancellationToken cancellationToken) =>
        WriteAsync(http, catalog, [.. recordings.GroupBy(r => r.Camera).Select(g => Entry(http, action, principal, credential, g.Key, [.. g.Select(r => r.Id)], null, null))],
            cancellationToken);

    /// <summary>The read of a camera over a range (a playlist, an export). Null when recorded; otherwise the refusal to answer with.</summary>
    public static Task<IResult?> RangeAsync(HttpContext http, ICatalog catalog, AuditAction action, string principal, string? credential,
        CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        WriteAsync(http, catalog, [Entry(http, action, principal, credential, camera, [], from, to)], cancellationToken);

    /// <summary>The reads of recordings by an authenticated caller of the API.</summary>
    public static Task<IResult?> RecordingsAsync(HttpContext http, VisibleCatalog catalog, AuditAction action, IEnumerable<Recording> recordings,
        CancellationToken cancellationToken) =>
        RecordingsAsync(http, catalog.Inner, action, catalog.Caller.Principal, catalog.Caller.Credential, recordings, cancellationToken);

    private static AuditRead Entry(HttpContext http, AuditAction action, string principal, string? credential, CameraKey camera,
        IReadOnlyList<string> ids, DateTimeOffset? from, DateTimeOffset? to)
    {
        string? forwarded = http.Request.Headers["X-Forwarded-For"].Count > 0 ? string.Join(", ", http.Request.Headers["X-Forwarded-For"].ToArray()) : null;
        return new AuditRead(action, AuditRead.Cut(principal)!, AuditRead.Cut(credential), camera, ids, from, to,
            http.Connection.RemoteIpAddress?.ToString(), AuditRead.Cut(Printable(forwarded)), AuditRead.Cut(http.TraceIdentifier));
    }

    private static async Task<IResult?> WriteAsync(HttpContext http, ICatalog catalog, IReadOnlyList<AuditRead> entries, CancellationToken cancellationToken)
    {
        try
        {
            foreach (AuditRead entry in entries)
            {
                await catalog.RecordReadAsync(entry, cancellationToken);
            }
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(ReadAudit)).LogError(e,
                "Refused {Method} {Path} (request {RequestId}): its read of footage could not be recorded in the audit log", http.Request.Method,
                http.Request.Path, http.TraceIdentifier);
            http.Response.Headers.RetryAfter = "5";
            return Results.Json(new ApiError(RefusalMessage), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static string? Printable(string? value) => value is null ? null : new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
