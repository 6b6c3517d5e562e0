using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Cctv.Testing.Gcs.Http;
using Cctv.Testing.Gcs.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Cctv.Testing.Gcs.Objects;

/// <summary><c>storage/v1/b/{bucket}/o...</c>: get (metadata or media), list, delete, patch/update, rewrite, copy.</summary>
internal sealed class ObjectEndpoints(GcsServerCore core)
{
    private const long RewriteUnit = 1024 * 1024;

    private readonly ConcurrentDictionary<string, RewriteProgress> _rewrites = new(StringComparer.Ordinal);

    public GcsResponse Get(HttpRequest req, string bucket, string name, bool download)
    {
        IQueryCollection query = req.Query;
        bool media = download || query["alt"] == "media";
        TestObject obj = core.Store.Get(bucket, name);
        if (Preconditions.Long(query, "generation") is long generation && generation != obj.Generation)
        {
            throw GcsException.NoSuchObject(bucket, name);
        }
        Preconditions preconditions = Preconditions.FromQuery(query);
        if (!preconditions.MatchHolds(obj))
        {
            Interlocked.Increment(ref core.Counters.PreconditionFailures);
            throw GcsException.PreconditionFailed();
        }
        if (!preconditions.NotMatchHolds(obj))
        {
            return GcsResponse.Empty(304);
        }
        return media ? Media(req, obj) : GcsResponse.Json(200, GcsJson.Object(obj, core.Endpoint));
    }

    public GcsResponse List(HttpRequest req, string bucket)
    {
        IQueryCollection query = req.Query;
        long maxResults = Preconditions.Long(query, "maxResults") ?? 1000;
        if (maxResults <= 0)
        {
            throw GcsException.Invalid("maxResults must be positive.");
        }
        string? pageToken = query["pageToken"];
        string? delimiter = query["delimiter"];
        var listQuery = new ObjectListQuery(
            Prefix: query["prefix"].ToString(),
            Delimiter: string.IsNullOrEmpty(delimiter) ? null : delimiter,
            MaxResults: (int)Math.Min(maxResults, 1000),
            StartAt: string.IsNullOrEmpty(pageToken) ? null : ObjectStore.DecodePageToken(pageToken),
            StartOffset: NullIfEmpty(query["startOffset"]),
            EndOffset: NullIfEmpty(query["endOffset"]),
            IncludeTrailingDelimiter: string.Equals(query["includeTrailingDelimiter"], "true", StringComparison.OrdinalIgnoreCase));
        return GcsResponse.Json(200, GcsJson.ObjectList(core.Store.List(bucket, listQuery), core.Endpoint));
    }

    public GcsResponse Delete(HttpRequest req, string bucket, string name)
    {
        core.Store.Delete(bucket, name, Preconditions.Long(req.Query, "generation"), Preconditions.FromQuery(req.Query));
        return GcsResponse.Empty(204);
    }

    /// <summary>PATCH merges the given metadata (a null value removes a key); PUT (update) replaces it.</summary>
    public async Task<GcsResponse> UpdateAsync(HttpContext ctx, string bucket, string name, bool merge)
    {
        ObjectDraft draft = await ReadDraftAsync(ctx);
        TestObject updated = core.Store.UpdateMetadata(bucket, name, Preconditions.FromQuery(ctx.Request.Query), current =>
        {
            Dictionary<string, string> metadata = merge
                ? new Dictionary<string, string>(current.Metadata, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
            foreach ((string key, string? value) in draft.Metadata ?? new Dictionary<string, string?>())
            {
                if (value is null)
                {
                    metadata.Remove(key);
                }
                else
                {
                    metadata[key] = value;
                }
            }
            return current with
            {
                ContentType = draft.ContentType ?? current.ContentType,
                Metadata = metadata,
                EventBasedHold = draft.EventBasedHold ?? (merge && current.EventBasedHold),
            };
        });
        return GcsResponse.Json(200, GcsJson.Object(updated, core.Endpoint));
    }

    /// <summary>
    /// objects.rewrite: copies in one call, or in several when <see cref="GcsTestServerOptions.RewriteBytesPerCall"/>
    /// or <c>maxBytesRewrittenPerCall</c> is smaller than the object (each call answers a <c>rewriteToken</c>).
    /// </summary>
    public async Task<GcsResponse> RewriteAsync(HttpContext ctx, Route route)
    {
        IQueryCollection query = ctx.Request.Query;
        ObjectDraft draft = await ReadDraftAsync(ctx);
        string destinationBucket = route.DestinationBucket!;
        string destinationName = route.DestinationName!;
        ObjectStore.ValidateObjectName(destinationName);
        core.Store.GetBucket(destinationBucket);

        long? perCall = core.Options.RewriteBytesPerCall;
        if (Preconditions.Long(query, "maxBytesRewrittenPerCall") is long requested)
        {
            if (requested <= 0 || requested % RewriteUnit != 0)
            {
                throw GcsException.Invalid($"maxBytesRewrittenPerCall must be a positive multiple of {RewriteUnit}; got {requested}.");
            }
            perCall = perCall is long configured ? Math.Min(configured, requested) : requested;
        }

        RewriteProgress progress;
        string? token = query["rewriteToken"];
        if (!string.IsNullOrEmpty(token))
        {
            progress = _rewrites.TryGetValue(token, out RewriteProgress? found)
                ? found
                : throw GcsException.Invalid($"Invalid rewriteToken '{token}'.");
            if (progress.Source.Bucket != route.Bucket || progress.Source.Name != route.Name
                || progress.DestinationBucket != destinationBucket || progress.DestinationName != destinationName)
            {
                throw GcsException.Invalid("The rewriteToken belongs to a rewrite of other objects.");
            }
            if (core.Store.Find(progress.Source.Bucket, progress.Source.Name)?.Generation != progress.Source.Generation)
            {
                _rewrites.TryRemove(token, out _);
                throw GcsException.NotFound(
                    $"The source generation being rewritten no longer exists: {progress.Source.Bucket}/{progress.Source.Name}#{progress.Source.Generation}.");
            }
        }
        else
        {
            TestObject source = Source(query, route);
            token = null;
            progress = new RewriteProgress(source, destinationBucket, destinationName);
        }

        Preconditions destination = Preconditions.FromQuery(query);
        lock (progress)
        {
            long size = progress.Source.Size;
            if (perCall is long limit && size - progress.Rewritten > limit)
            {
                if (!destination.Holds(core.Store.Find(destinationBucket, destinationName)))
                {
                    Interlocked.Increment(ref core.Counters.PreconditionFailures);
                    throw GcsException.PreconditionFailed();
                }
                progress.Rewritten += limit;
                token ??= WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));
                _rewrites[token] = progress;
                return GcsResponse.Json(200, GcsJson.Rewrite(progress.Rewritten, size, token, null, core.Endpoint));
            }
            if (token is not null)
            {
                _rewrites.TryRemove(token, out _);
            }
            TestObject written = CommitCopy(progress.Source, destinationBucket, destinationName, draft, destination);
            return GcsResponse.Json(200, GcsJson.Rewrite(size, size, null, written, core.Endpoint));
        }
    }

    /// <summary>objects.copy: one call, answers the destination object.</summary>
    public async Task<GcsResponse> CopyAsync(HttpContext ctx, Route route)
    {
        ObjectDraft draft = await ReadDraftAsync(ctx);
        ObjectStore.ValidateObjectName(route.DestinationName!);
        TestObject source = Source(ctx.Request.Query, route);
        TestObject written = CommitCopy(source, route.DestinationBucket!, route.DestinationName!, draft, Preconditions.FromQuery(ctx.Request.Query));
        return GcsResponse.Json(200, GcsJson.Object(written, core.Endpoint));
    }

    private TestObject Source(IQueryCollection query, Route route)
    {
        TestObject source = core.Store.Get(route.Bucket!, route.Name!);
        if (Preconditions.Long(query, "sourceGeneration") is long generation && generation != source.Generation)
        {
            throw GcsException.NoSuchObject(route.Bucket!, route.Name!);
        }
        if (!Preconditions.FromQuery(query, "ifSource").Holds(source))
        {
            Interlocked.Increment(ref core.Counters.PreconditionFailures);
            throw GcsException.PreconditionFailed();
        }
        return source;
    }

    private TestObject CommitCopy(TestObject source, string bucket, string name, ObjectDraft draft, Preconditions preconditions)
    {
        var checksums = new Checksums(Cctv.Shared.Hashing.Crc32C.FromBase64(source.Crc32C), Convert.FromBase64String(source.Md5));
        IReadOnlyDictionary<string, string> metadata = draft.Metadata is null ? source.Metadata : draft.StoredMetadata();
        return core.Store.Commit(bucket, name, source.Bytes, checksums, draft.ContentType ?? source.ContentType, metadata, preconditions);
    }

    private static GcsResponse Media(HttpRequest req, TestObject obj)
    {
        long size = obj.Size;
        GcsResponse response;
        if (ByteRange.Parse(req.Headers.Range, size) is { } range)
        {
            if (range.IsUnsatisfiable)
            {
                return GcsResponse.Error(416, "requestedRangeNotSatisfiable", $"The requested range cannot be satisfied: the object has {size} bytes.")
                    .WithHeader("Content-Range", $"bytes */{size}");
            }
            response = new GcsResponse(206)
            {
                ContentType = obj.ContentType,
                Body = obj.Bytes.Slice((int)range.First, (int)(range.Last - range.First + 1)),
            };
            response.WithHeader("Content-Range", $"bytes {range.First}-{range.Last}/{size}");
        }
        else
        {
            response = new GcsResponse(200) { ContentType = obj.ContentType, Body = obj.Bytes };
        }
        // The object's hashes go only with a body that is the whole object (a 200, or a range covering it all, as
        // Google.Apis' downloader asks for): GCS leaves them off a true part, and Google's .NET client, which checks
        // X-Goog-Hash against whatever body came, would refuse every ranged read if they were there.
        if (response.Body.Length == size)
        {
            response.WithHeader("X-Goog-Hash", $"crc32c={obj.Crc32C},md5={obj.Md5}");
        }
        return response
            .WithHeader("Accept-Ranges", "bytes")
            .WithHeader("ETag", $"\"{GcsJson.ETag(obj)}\"")
            .WithHeader("Last-Modified", obj.Updated.ToString("R", CultureInfo.InvariantCulture))
            .WithHeader("X-Goog-Generation", GcsJson.Int(obj.Generation))
            .WithHeader("X-Goog-Metageneration", GcsJson.Int(obj.Metageneration))
            .WithHeader("X-Goog-Stored-Content-Length", GcsJson.Int(size))
            .WithHeader("X-Goog-Stored-Content-Encoding", "identity")
            .WithHeader("X-Goog-Storage-Class", "STANDARD");
    }

    private static async Task<ObjectDraft> ReadDraftAsync(HttpContext ctx)
    {
        BodyRead body = await RequestBody.ReadAsync(ctx.Request, null, ctx.RequestAborted);
        return ObjectDraft.Parse(body.Data);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private sealed class RewriteProgress(TestObject source, string destinationBucket, string destinationName)
    {
        public TestObject Source { get; } = source;

        public string DestinationBucket { get; } = destinationBucket;

        public string DestinationName { get; } = destinationName;

        public long Rewritten { get; set; }
    }
}

/// <summary>A single <c>Range: bytes=...</c> request against an object of known size; multiple ranges are ignored (whole object).</summary>
internal readonly record struct ByteRange(long First, long Last, bool IsUnsatisfiable)
{
    public static ByteRange? Parse(string? header, long size)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        string value = header.Trim();
        if (!value.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || value.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }
        string spec = value[6..].Trim();
        int dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return null;
        }
        string a = spec[..dash].Trim();
        string b = spec[(dash + 1)..].Trim();
        if (a.Length == 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long suffix))
            {
                return null;
            }
            return suffix == 0 || size == 0 ? new ByteRange(0, 0, true) : new ByteRange(Math.Max(0, size - suffix), size - 1, false);
        }
        if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out long first))
        {
            return null;
        }
        long last = size - 1;
        if (b.Length > 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last < first)
            {
                return null;
            }
        }
        return first >= size ? new ByteRange(0, 0, true) : new ByteRange(first, Math.Min(last, size - 1), false);
    }
}
