using System.Text.Json;
using Cctv.Testing.Gcs.Http;
using Microsoft.AspNetCore.Http;

namespace Cctv.Testing.Gcs.Buckets;

/// <summary><c>storage/v1/b[/{bucket}]</c>: list, insert, get, delete.</summary>
internal sealed class BucketEndpoints(GcsServerCore core)
{
    public GcsResponse List() => GcsResponse.Json(200, GcsJson.BucketList(core.Store.Buckets(), core.Endpoint));

    public GcsResponse Get(string bucket) => GcsResponse.Json(200, GcsJson.Bucket(core.Store.GetBucket(bucket), core.Endpoint));

    public GcsResponse Delete(string bucket)
    {
        core.Store.DeleteBucket(bucket);
        return GcsResponse.Empty(204);
    }

    public async Task<GcsResponse> InsertAsync(HttpContext ctx)
    {
        BodyRead body = await RequestBody.ReadAsync(ctx.Request, null, ctx.RequestAborted);
        string? name;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body.Data);
            name = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("name", out JsonElement n)
                && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        }
        catch (JsonException e)
        {
            throw GcsException.Invalid($"The request body is not valid JSON: {e.Message}");
        }
        if (string.IsNullOrEmpty(name))
        {
            throw GcsException.Required("Required: the bucket name.");
        }
        if (!core.Store.TryCreateBucket(name))
        {
            throw new GcsException(409, "conflict", "Your previous request to create the named bucket succeeded and you already own it.");
        }
        return GcsResponse.Json(200, GcsJson.Bucket(core.Store.GetBucket(name), core.Endpoint));
    }
}
