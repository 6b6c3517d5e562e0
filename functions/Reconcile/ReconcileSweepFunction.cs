using System.Globalization;
using System.Text.Json;
using Cctv.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Reconcile;

/// <summary>
/// The sweep as an HTTP function, called by Cloud Scheduler with an OIDC token (checked before this runs):
/// <c>POST /</c> with <c>{"job": "reconcile"|"retention", "limit": 500, "continuation": "..."}</c> (every field optional;
/// also accepted as query parameters), or <c>POST /retention</c>. Answers 200 with the JSON report, 400 for a request
/// it cannot run, 503 when the catalog or a bucket could not be read (Scheduler retries).
/// </summary>
public sealed class ReconcileSweepFunction(ReconcileSweep sweep, ILogger<ReconcileSweepFunction> log) : IHttpFunction
{
    public Task HandleAsync(HttpContext context) => HandleAsync(context, null);

    public async Task HandleAsync(HttpContext context, string? job)
    {
        HttpContext http = context;
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await AnswerAsync(http, StatusCodes.Status405MethodNotAllowed, "the sweep is started with POST");
            return;
        }
        string? bodyJob = null;
        string? continuation = null;
        int? limit = null;
        string? error = null;
        try
        {
            using JsonDocument? body = await ReadBodyAsync(http);
            if (body is not null)
            {
                JsonElement root = body.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    error = "the body must be a JSON object such as {\"job\": \"reconcile\"}";
                }
                else
                {
                    bodyJob = root.TryGetProperty("job", out JsonElement j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
                    continuation = root.TryGetProperty("continuation", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    if (root.TryGetProperty("limit", out JsonElement l))
                    {
                        limit = l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out int n) ? n : -1;
                    }
                }
            }
        }
        catch (JsonException e)
        {
            error = "the body is not JSON: " + e.Message;
        }
        IQueryCollection q = http.Request.Query;
        if (q["limit"].FirstOrDefault() is { } rawLimit)
        {
            limit = int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;
        }
        continuation ??= q["continuation"].FirstOrDefault() is { Length: > 0 } qc ? qc : null;
        job ??= bodyJob ?? q["job"].FirstOrDefault() ?? ReconcileSweep.ReconcileJob;
        if (error is null && limit is not null and (< 1 or > ReconcileSweep.MaxLimit))
        {
            error = $"limit must be a whole number from 1 to {ReconcileSweep.MaxLimit}";
        }
        if (error is not null)
        {
            log.LogWarning("Refused a sweep request: {Error}", error);
            await AnswerAsync(http, StatusCodes.Status400BadRequest, error);
            return;
        }
        try
        {
            SweepReport report = await sweep.RunAsync(new SweepRequest(job, limit ?? ReconcileSweep.DefaultLimit, continuation), http.RequestAborted);
            await http.Response.WriteAsJsonAsync(report);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            log.LogWarning("Refused a sweep request: {Error}", e.Message);
            await AnswerAsync(http, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            log.LogError(e, "The {Job} sweep failed: {Error}; the scheduler calls it again", job, e.Message);
            await AnswerAsync(http, StatusCodes.Status503ServiceUnavailable, $"the sweep could not run: {e.Message}");
        }
    }

    private static async Task<JsonDocument?> ReadBodyAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        return buffer.Length == 0 ? null : JsonDocument.Parse(buffer.ToArray());
    }

    private static Task AnswerAsync(HttpContext http, int status, string error)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error });
    }
}
