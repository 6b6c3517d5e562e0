using Cctv.Testing.Gcs.Buckets;
using Cctv.Testing.Gcs.Objects;
using Cctv.Testing.Gcs.Uploads;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Cctv.Testing.Gcs.Http;

/// <summary>
/// Every request: count it, route it by its raw path, check the bearer token, draw a fault, run the endpoint, then
/// answer, or reset the connection when the fault says so.
/// </summary>
internal sealed class GcsPipeline(GcsServerCore core, ILogger logger, CancellationToken stopping)
{
    private readonly ObjectEndpoints _objects = new(core);
    private readonly UploadEndpoints _uploads = new(core);
    private readonly BucketEndpoints _buckets = new(core);

    public async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref core.Counters.Requests);
        CancellationToken aborted = ctx.RequestAborted;
        GcsFaultKind? fault = null;
        GcsRequestKinds kind = GcsRequestKinds.Metadata;
        GcsResponse response;
        try
        {
            Route route = Route.Parse(RawPath(ctx), NullIfEmpty(ctx.Request.Query["upload_id"]));
            kind = Classify(route, ctx.Request);
            core.Counters.Count(kind);
            if (route.Kind != RouteKind.Session)
            {
                Authorize(ctx.Request);
            }
            fault = core.Faults.Decide(kind);
            response = fault switch
            {
                GcsFaultKind.Http500 => GcsResponse.Error(500, "backendError", "Injected fault: internal error."),
                GcsFaultKind.Http503 => GcsResponse.Error(503, "backendError", "Injected fault: service unavailable."),
                GcsFaultKind.Http429 => TooManyRequests(),
                GcsFaultKind.Stall => await StallAsync(aborted),
                GcsFaultKind.ResetMidChunk when (kind & (GcsRequestKinds.ResumableChunk | GcsRequestKinds.SimpleUpload | GcsRequestKinds.Download)) == 0
                    => GcsResponse.Abort,
                GcsFaultKind.WrongCrc32CReported => WithWrongCrc32C(await DispatchAsync(ctx, route, fault)),
                _ => await DispatchAsync(ctx, route, fault),
            };
        }
        catch (GcsException e)
        {
            response = e.ToResponse();
        }
        catch (Exception e) when (aborted.IsCancellationRequested && RequestBody.IsDisconnect(e))
        {
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "GCS test server failed on {Method} {Path}", ctx.Request.Method, RawPath(ctx));
            response = GcsResponse.Error(500, "internalError", $"The test server failed: {e.GetType().Name}: {e.Message}");
        }

        if (response.IsAbort || fault == GcsFaultKind.DropResponse)
        {
            ctx.Abort();
            return;
        }
        try
        {
            await RequestBody.DrainAsync(ctx.Request, aborted);
            await WriteAsync(ctx, response, halfThenAbort: fault == GcsFaultKind.ResetMidChunk && kind == GcsRequestKinds.Download);
        }
        catch (Exception e) when (RequestBody.IsDisconnect(e))
        {
            // The client went away while we answered.
        }
    }

    private Task<GcsResponse> DispatchAsync(HttpContext ctx, Route route, GcsFaultKind? fault)
    {
        HttpRequest req = ctx.Request;
        string method = req.Method;
        bool get = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return (route.Kind, method) switch
        {
            (RouteKind.Buckets, _) when get => Task.FromResult(_buckets.List()),
            (RouteKind.Buckets, "POST") => _buckets.InsertAsync(ctx),
            (RouteKind.Bucket, _) when get => Task.FromResult(_buckets.Get(route.Bucket!)),
            (RouteKind.Bucket, "DELETE") => Task.FromResult(_buckets.Delete(route.Bucket!)),
            (RouteKind.Objects, _) when get => Task.FromResult(_objects.List(req, route.Bucket!)),
            (RouteKind.Object, _) when get => Task.FromResult(_objects.Get(req, route.Bucket!, route.Name!, download: false)),
            (RouteKind.Download, _) when get => Task.FromResult(_objects.Get(req, route.Bucket!, route.Name!, download: true)),
            (RouteKind.Object, "DELETE") => Task.FromResult(_objects.Delete(req, route.Bucket!, route.Name!)),
            (RouteKind.Object, "PATCH") => _objects.UpdateAsync(ctx, route.Bucket!, route.Name!, merge: true),
            (RouteKind.Object, "PUT") => _objects.UpdateAsync(ctx, route.Bucket!, route.Name!, merge: false),
            (RouteKind.Rewrite, "POST") => _objects.RewriteAsync(ctx, route),
            (RouteKind.Copy, "POST") => _objects.CopyAsync(ctx, route),
            (RouteKind.Upload, "POST") => _uploads.InsertAsync(ctx, route.Bucket!, fault),
            (RouteKind.Session, "PUT" or "POST") => _uploads.SessionPutAsync(ctx, route.UploadId!, fault),
            (RouteKind.Session, "DELETE") => Task.FromResult(_uploads.Cancel(route.UploadId!)),
            _ => throw new GcsException(405, "methodNotAllowed", $"{method} is not supported on this path."),
        };
    }

    private static GcsRequestKinds Classify(Route route, HttpRequest req) => route.Kind switch
    {
        RouteKind.Upload => req.Query["uploadType"] == "resumable" ? GcsRequestKinds.ResumableInitiation : GcsRequestKinds.SimpleUpload,
        RouteKind.Session when HttpMethods.IsDelete(req.Method) => GcsRequestKinds.Metadata,
        RouteKind.Session => IsStatusQuery(req) ? GcsRequestKinds.ResumableStatusQuery : GcsRequestKinds.ResumableChunk,
        RouteKind.Download => GcsRequestKinds.Download,
        RouteKind.Object when req.Query["alt"] == "media" && (HttpMethods.IsGet(req.Method) || HttpMethods.IsHead(req.Method)) => GcsRequestKinds.Download,
        _ => GcsRequestKinds.Metadata,
    };

    /// <summary>The same answer with another CRC32C in its object resource (the stored object keeps the right one).</summary>
    private static GcsResponse WithWrongCrc32C(GcsResponse response)
    {
        if (response.Status != 200 || response.ContentType != GcsResponse.JsonContentType
            || System.Text.Json.Nodes.JsonNode.Parse(response.Body.Span) is not System.Text.Json.Nodes.JsonObject resource
            || resource["crc32c"] is null)
        {
            return response;
        }
        resource["crc32c"] = "AAAAAA==";
        var lying = GcsResponse.Json(200, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(resource));
        lying.Headers.AddRange(response.Headers);
        return lying;
    }

    private static bool IsStatusQuery(HttpRequest req)
    {
        string? range = req.Headers.ContentRange;
        return string.IsNullOrEmpty(range)
            ? req.ContentLength == 0
            : range.Trim().StartsWith("bytes */", StringComparison.OrdinalIgnoreCase);
    }

    private void Authorize(HttpRequest req)
    {
        string? token = core.Options.RequiredBearerToken;
        if (token is null)
        {
            return;
        }
        string? header = req.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            throw new GcsException(401, "required",
                "Anonymous caller does not have access to this resource: this server needs 'Authorization: Bearer <token>'.");
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header[7..].Trim() != token)
        {
            throw new GcsException(401, "authError", "Invalid Credentials");
        }
    }

    private GcsResponse TooManyRequests()
    {
        GcsResponse response = GcsResponse.Error(429, "rateLimitExceeded", "Injected fault: the rate of requests is too high.");
        if (core.Faults.Options.RetryAfter is TimeSpan retryAfter)
        {
            response.WithHeader("Retry-After", ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return response;
    }

    private async Task<GcsResponse> StallAsync(CancellationToken aborted)
    {
        GcsFaultOptions options = core.Faults.Options;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        try
        {
            await Task.Delay(options.StallDuration, core.Time, linked.Token);
        }
        catch (OperationCanceledException)
        {
            return GcsResponse.Abort;
        }
        return options.StallEndsWithReset
            ? GcsResponse.Abort
            : GcsResponse.Error(503, "backendError", "Injected fault: stalled, then service unavailable.");
    }

    private static async Task WriteAsync(HttpContext ctx, GcsResponse response, bool halfThenAbort)
    {
        HttpResponse res = ctx.Response;
        res.StatusCode = response.Status;
        if (response.Status == 308 && string.Equals(ctx.Request.Headers["X-GUploader-No-308"], "yes", StringComparison.OrdinalIgnoreCase))
        {
            // The Go client asks for this (its HTTP stack treats 308 as a redirect); GCS then answers 200 plus this header.
            res.StatusCode = 200;
            res.Headers["X-HTTP-Status-Code-Override"] = "308";
        }
        foreach ((string name, string value) in response.Headers)
        {
            res.Headers.Append(name, value);
        }
        if (response.ContentType is not null)
        {
            res.ContentType = response.ContentType;
        }
        if (response.Status is 204 or 304)
        {
            return;
        }
        res.ContentLength = response.Body.Length;
        if (HttpMethods.IsHead(ctx.Request.Method) || response.Body.IsEmpty)
        {
            return;
        }
        if (halfThenAbort)
        {
            await res.Body.WriteAsync(response.Body[..(response.Body.Length / 2)], ctx.RequestAborted);
            await res.Body.FlushAsync(ctx.RequestAborted);
            ctx.Abort();
            return;
        }
        await res.Body.WriteAsync(response.Body, ctx.RequestAborted);
    }

    private static string RawPath(HttpContext ctx)
    {
        string raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            raw = new Uri(raw).GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
        }
        int query = raw.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? raw : raw[..query];
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
