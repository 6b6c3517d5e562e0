using System.Globalization;
using Cctv.Testing.Gcs.Http;
using Cctv.Testing.Gcs.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Cctv.Testing.Gcs.Uploads;

/// <summary>
/// <c>upload/storage/v1/b/{bucket}/o</c>: single-request uploads (<c>uploadType=media</c>, <c>multipart</c>) and the
/// resumable protocol (initiation, chunks, status queries, cancel).
/// </summary>
internal sealed class UploadEndpoints(GcsServerCore core)
{
    private const int Quantum = UploadSession.Quantum;

    public Task<GcsResponse> InsertAsync(HttpContext ctx, string bucket, GcsFaultKind? fault)
    {
        string? uploadType = ctx.Request.Query["uploadType"];
        return uploadType switch
        {
            "resumable" => InitiateAsync(ctx, bucket),
            "media" => MediaAsync(ctx, bucket, fault),
            "multipart" => MultipartAsync(ctx, bucket, fault),
            null or "" => throw GcsException.Required("Required parameter: uploadType (media, multipart or resumable)."),
            _ => throw GcsException.Invalid($"Unsupported uploadType '{uploadType}': this server takes media, multipart or resumable."),
        };
    }

    private async Task<GcsResponse> MediaAsync(HttpContext ctx, string bucket, GcsFaultKind? fault)
    {
        HttpRequest req = ctx.Request;
        string name = req.Query["name"].ToString() is { Length: > 0 } n ? n : throw GcsException.Required("Required parameter: name.");
        ObjectStore.ValidateObjectName(name);
        core.Store.GetBucket(bucket);
        Preconditions preconditions = Preconditions.FromQuery(req.Query);
        DeclaredChecksums header = DeclaredChecksums.FromHeader(req.Headers);

        BodyRead body = await ReadSimpleUploadAsync(req, fault, ctx.RequestAborted);
        if (!body.Complete)
        {
            return GcsResponse.Abort;
        }
        Checksums actual = Checksums.Of(body.Data.Span);
        Verify(actual, header);
        string contentType = string.IsNullOrEmpty(req.ContentType) ? "application/octet-stream" : req.ContentType;
        TestObject committed = core.Store.Commit(bucket, name, body.Data, actual, contentType, new Dictionary<string, string>(), preconditions);
        return GcsResponse.Json(200, GcsJson.Object(committed, core.Endpoint));
    }

    private async Task<GcsResponse> MultipartAsync(HttpContext ctx, string bucket, GcsFaultKind? fault)
    {
        HttpRequest req = ctx.Request;
        if (!MediaTypeHeaderValue.TryParse(req.ContentType, out MediaTypeHeaderValue? mediaType)
            || !mediaType.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).ToString() is not { Length: > 0 } boundary)
        {
            throw GcsException.Invalid($"uploadType=multipart needs Content-Type: multipart/related; boundary=...; got '{req.ContentType}'.");
        }
        core.Store.GetBucket(bucket);
        Preconditions preconditions = Preconditions.FromQuery(req.Query);
        DeclaredChecksums header = DeclaredChecksums.FromHeader(req.Headers);

        BodyRead body = await ReadSimpleUploadAsync(req, fault, ctx.RequestAborted);
        if (!body.Complete)
        {
            return GcsResponse.Abort;
        }
        IReadOnlyList<MultipartPart> parts = MultipartRelated.Parse(body.Data, boundary);
        if (parts.Count != 2)
        {
            throw GcsException.Invalid($"A multipart upload has two parts (JSON metadata, then the media); this one has {parts.Count}.");
        }
        ObjectDraft draft = ObjectDraft.Parse(parts[0].Content);
        string name = req.Query["name"].ToString() is { Length: > 0 } n ? n
            : draft.Name ?? throw GcsException.Required("Required: the object name (name in the metadata part or the query).");
        ObjectStore.ValidateObjectName(name);

        ReadOnlyMemory<byte> media = parts[1].Content;
        Checksums actual = Checksums.Of(media.Span);
        Verify(actual, draft.Checksums, header);
        string contentType = draft.ContentType ?? parts[1].ContentType ?? "application/octet-stream";
        TestObject committed = core.Store.Commit(bucket, name, media, actual, contentType, draft.StoredMetadata(), preconditions);
        return GcsResponse.Json(200, GcsJson.Object(committed, core.Endpoint));
    }

    private async Task<GcsResponse> InitiateAsync(HttpContext ctx, string bucket)
    {
        HttpRequest req = ctx.Request;
        core.Store.GetBucket(bucket);
        BodyRead body = await RequestBody.ReadAsync(req, null, ctx.RequestAborted);
        if (!body.Complete)
        {
            return GcsResponse.Abort;
        }
        ObjectDraft draft = ObjectDraft.Parse(body.Data);
        string name = req.Query["name"].ToString() is { Length: > 0 } n ? n
            : draft.Name ?? throw GcsException.Required("Required: the object name (name in the query or the JSON metadata).");
        ObjectStore.ValidateObjectName(name);

        Preconditions preconditions = Preconditions.FromQuery(req.Query);
        if (!preconditions.Holds(core.Store.Find(bucket, name)))
        {
            Interlocked.Increment(ref core.Counters.PreconditionFailures);
            throw GcsException.PreconditionFailed();
        }

        long? declaredSize = null;
        string? lengthHeader = req.Headers["X-Upload-Content-Length"];
        if (!string.IsNullOrEmpty(lengthHeader))
        {
            declaredSize = long.TryParse(lengthHeader, NumberStyles.None, CultureInfo.InvariantCulture, out long size)
                ? size
                : throw GcsException.Invalid($"Invalid X-Upload-Content-Length '{lengthHeader}'.");
        }
        string? uploadContentType = req.Headers["X-Upload-Content-Type"];
        string contentType = draft.ContentType
            ?? (string.IsNullOrEmpty(uploadContentType) ? "application/octet-stream" : uploadContentType);

        var session = new UploadSession(
            UploadSessions.NewId(), bucket, name, draft, contentType, preconditions, declaredSize, core.Time.GetUtcNow());
        core.Sessions.Add(session);
        Interlocked.Increment(ref core.Counters.SessionsStarted);
        string location = $"{core.Endpoint}upload/storage/v1/b/{Uri.EscapeDataString(bucket)}/o?uploadType=resumable&upload_id={session.Id}";
        return GcsResponse.Empty(200)
            .WithHeader("Location", location)
            .WithHeader("X-GUploader-UploadID", session.Id);
    }

    /// <summary>PUT (or POST) on a session URI: a chunk, or a status query.</summary>
    public async Task<GcsResponse> SessionPutAsync(HttpContext ctx, string uploadId, GcsFaultKind? fault)
    {
        HttpRequest req = ctx.Request;
        UploadSession session = core.Sessions.Get(uploadId);
        DeclaredChecksums header = DeclaredChecksums.FromHeader(req.Headers);
        ContentRange range = RangeOf(req);

        if (range.IsQuery)
        {
            if (req.ContentLength is > 0)
            {
                throw GcsException.Invalid("A request with 'Content-Range: bytes */N' must have an empty body.");
            }
            Interlocked.Increment(ref core.Counters.StatusQueries);
            lock (session.Gate)
            {
                return Query(session, range.Total, header);
            }
        }

        Interlocked.Increment(ref core.Counters.Chunks);
        if (range.Total is null)
        {
            Interlocked.Increment(ref core.Counters.OpenEndedChunks);
        }
        if (req.ContentLength is long contentLength && contentLength != range.Length)
        {
            throw GcsException.Invalid($"Content-Length {contentLength} does not match Content-Range bytes {range.First}-{range.Last} ({range.Length} bytes).");
        }
        lock (session.Gate)
        {
            if (Terminal(session) is GcsResponse terminal)
            {
                return terminal;
            }
            CheckChunk(session, range);
        }

        BodyRead body = await RequestBody.ReadAsync(req, fault == GcsFaultKind.ResetMidChunk ? range.Length / 2 : null, ctx.RequestAborted);
        if (!body.Complete)
        {
            if (core.Faults.Options.PersistReceivedBytesOnReset)
            {
                PersistPrefix(session, range.First!.Value, body.Data);
            }
            return GcsResponse.Abort;
        }
        if (body.Data.Length != range.Length)
        {
            throw GcsException.Invalid($"The body has {body.Data.Length} bytes but Content-Range says {range.Length}.");
        }
        int? accept = fault == GcsFaultKind.PartialAccept ? PartialLength(body.Data.Length) : null;
        lock (session.Gate)
        {
            return ApplyChunk(session, range, body.Data, accept, header);
        }
    }

    /// <summary>DELETE on a session URI: cancels it (499, as GCS answers).</summary>
    public GcsResponse Cancel(string uploadId)
    {
        UploadSession session = core.Sessions.Get(uploadId);
        lock (session.Gate)
        {
            if (session.State == SessionState.Active)
            {
                session.Cancel();
                return GcsResponse.Empty(499);
            }
            return Terminal(session)!;
        }
    }

    private static ContentRange RangeOf(HttpRequest req)
    {
        string? header = req.Headers.ContentRange;
        if (!string.IsNullOrEmpty(header))
        {
            return ContentRange.Parse(header);
        }
        // No Content-Range: the body is the whole object.
        return req.ContentLength switch
        {
            null => throw GcsException.Required("A session PUT needs Content-Range, or Content-Length for a whole-object upload."),
            0 => new ContentRange(null, null, 0),
            long length => new ContentRange(0, length - 1, length),
        };
    }

    /// <summary>A finished session answers every request the same way: the object, its failure, or cancelled.</summary>
    private GcsResponse? Terminal(UploadSession session) => session.State switch
    {
        SessionState.Completed => GcsResponse.Json(200, GcsJson.Object(session.Result!, core.Endpoint)),
        SessionState.Failed => throw new GcsException(session.Failure!.Status, session.Failure.Reason, session.Failure.Message),
        SessionState.Cancelled => GcsResponse.Error(499, "clientClosedRequest", "The upload session was cancelled."),
        _ => null,
    };

    /// <summary>The header-level checks of a chunk, before its body is read and again after.</summary>
    private static void CheckChunk(UploadSession session, ContentRange range)
    {
        long first = range.First!.Value;
        long last = range.Last!.Value;
        if (range.Total is long total)
        {
            if (session.Total is long known && known != total)
            {
                throw GcsException.Invalid($"The object size changed: this upload was declared as {known} bytes, but Content-Range says {total}.");
            }
            if (last >= total)
            {
                throw GcsException.Invalid($"Content-Range ends at byte {last}, beyond the object size {total}.");
            }
        }
        else if (session.Total is long known && last >= known)
        {
            throw GcsException.Invalid($"Content-Range ends at byte {last}, beyond the declared object size {known}.");
        }
        bool final = (range.Total ?? session.Total) is long size && last == size - 1;
        if (!final && range.Length % Quantum != 0)
        {
            throw GcsException.Invalid(
                $"Invalid request. The number of bytes in a chunk other than the last must be a multiple of 262144 (256 KiB); this one has {range.Length}.");
        }
        if (first > session.Persisted)
        {
            throw GcsException.Invalid(
                $"Invalid request.  According to the Content-Range header, the upload offset is {first} byte(s), which exceeds already uploaded size of {session.Persisted} byte(s).");
        }
    }

    private GcsResponse ApplyChunk(UploadSession session, ContentRange range, ReadOnlyMemory<byte> data, int? accept, DeclaredChecksums header)
    {
        if (Terminal(session) is GcsResponse terminal)
        {
            return terminal;
        }
        CheckChunk(session, range);
        long first = range.First!.Value;
        long overlapEnd = Math.Min(range.Last!.Value + 1, session.Persisted);
        if (first < overlapEnd && !session.Matches(first, data.Span[..(int)(overlapEnd - first)]))
        {
            throw GcsException.Invalid(
                $"The chunk at offset {first} overlaps bytes already persisted (up to {session.Persisted}) and differs from them.");
        }
        if (range.Total is long total)
        {
            session.Total = total;
        }
        ReadOnlyMemory<byte> kept = accept is int n ? data[..n] : data;
        if (first + kept.Length > session.Persisted)
        {
            session.Append(kept[(int)(session.Persisted - first)..]);
        }
        if (session.Total is long size && session.Persisted == size)
        {
            return Finalize(session, header);
        }
        return Incomplete(session);
    }

    private GcsResponse Query(UploadSession session, long? total, DeclaredChecksums header)
    {
        if (Terminal(session) is GcsResponse terminal)
        {
            return terminal;
        }
        if (total is long size)
        {
            if (session.Total is long known && known != size)
            {
                throw GcsException.Invalid($"The object size changed: this upload was declared as {known} bytes, but Content-Range says {size}.");
            }
            if (size < session.Persisted)
            {
                throw GcsException.Invalid($"Content-Range says the object has {size} bytes, but {session.Persisted} are already persisted.");
            }
            session.Total = size;
            if (session.Persisted == size)
            {
                return Finalize(session, header);
            }
        }
        return Incomplete(session);
    }

    private GcsResponse Finalize(UploadSession session, DeclaredChecksums header)
    {
        ReadOnlyMemory<byte> content = session.TakeContent();
        try
        {
            Checksums actual = Checksums.Of(content.Span);
            Verify(actual, session.Draft.Checksums, header);
            TestObject committed = core.Store.Commit(
                session.Bucket, session.Name, content, actual, session.ContentType, session.Draft.StoredMetadata(), session.Preconditions);
            session.Complete(committed);
            Interlocked.Increment(ref core.Counters.SessionsCompleted);
            return GcsResponse.Json(200, GcsJson.Object(committed, core.Endpoint));
        }
        catch (GcsException e)
        {
            session.Fail(e);
            throw;
        }
    }

    /// <summary>After a broken chunk: keep the 256 KiB-aligned prefix of what arrived, if it fits the session.</summary>
    private void PersistPrefix(UploadSession session, long first, ReadOnlyMemory<byte> received)
    {
        int aligned = received.Length / Quantum * Quantum;
        if (aligned == 0)
        {
            return;
        }
        lock (session.Gate)
        {
            try
            {
                ApplyChunk(session, new ContentRange(first, first + aligned - 1, null), received[..aligned], null, default);
            }
            catch (GcsException)
            {
                // The prefix does not fit the session (it moved on meanwhile): nothing is kept, as the client will learn from a status query.
            }
        }
    }

    private static GcsResponse Incomplete(UploadSession session)
    {
        var response = GcsResponse.Empty(308);
        if (session.Persisted > 0)
        {
            response.WithHeader("Range", $"bytes=0-{session.Persisted - 1}");
        }
        return response;
    }

    /// <summary>A 256 KiB multiple shorter than the chunk: about half of it.</summary>
    private static int PartialLength(int length)
    {
        int half = length / 2 / Quantum * Quantum;
        return half > 0 ? half : Math.Max(0, (length - 1) / Quantum * Quantum);
    }

    private void Verify(Checksums actual, params ReadOnlySpan<DeclaredChecksums> declared)
    {
        try
        {
            foreach (DeclaredChecksums d in declared)
            {
                actual.Verify(d);
            }
        }
        catch (GcsException)
        {
            Interlocked.Increment(ref core.Counters.ChecksumMismatches);
            throw;
        }
    }

    private static Task<BodyRead> ReadSimpleUploadAsync(HttpRequest req, GcsFaultKind? fault, CancellationToken ct) =>
        RequestBody.ReadAsync(req, fault == GcsFaultKind.ResetMidChunk ? (req.ContentLength ?? 128 * 1024) / 2 : null, ct);
}
