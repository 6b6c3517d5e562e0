using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cctv.Testing.Gcs.Storage;

namespace Cctv.Testing.Gcs.Http;

/// <summary>The JSON API resources, written field by field (int64 values as strings, times RFC 3339, as GCS does).</summary>
internal static class GcsJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ReadOnlyMemory<byte> Object(TestObject o, Uri endpoint) => Write(w => WriteObject(w, o, endpoint));

    public static ReadOnlyMemory<byte> Error(int code, string reason, string message) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteNumber("code", code);
        w.WriteString("message", message);
        w.WriteStartArray("errors");
        w.WriteStartObject();
        w.WriteString("message", message);
        w.WriteString("domain", "global");
        w.WriteString("reason", reason);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    public static ReadOnlyMemory<byte> ObjectList(ObjectListPage page, Uri endpoint) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("kind", "storage#objects");
        if (page.NextPageToken is not null)
        {
            w.WriteString("nextPageToken", page.NextPageToken);
        }
        if (page.Prefixes.Count > 0)
        {
            w.WriteStartArray("prefixes");
            foreach (string prefix in page.Prefixes)
            {
                w.WriteStringValue(prefix);
            }
            w.WriteEndArray();
        }
        if (page.Items.Count > 0)
        {
            w.WriteStartArray("items");
            foreach (TestObject item in page.Items)
            {
                WriteObject(w, item, endpoint);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });

    public static ReadOnlyMemory<byte> Bucket(BucketInfo bucket, Uri endpoint) => Write(w => WriteBucket(w, bucket, endpoint));

    public static ReadOnlyMemory<byte> BucketList(IEnumerable<BucketInfo> buckets, Uri endpoint) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("kind", "storage#buckets");
        w.WriteStartArray("items");
        foreach (BucketInfo bucket in buckets)
        {
            WriteBucket(w, bucket, endpoint);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static ReadOnlyMemory<byte> Rewrite(long rewritten, long size, string? token, TestObject? resource, Uri endpoint) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("kind", "storage#rewriteResponse");
        w.WriteString("totalBytesRewritten", Int(rewritten));
        w.WriteString("objectSize", Int(size));
        w.WriteBoolean("done", resource is not null);
        if (token is not null)
        {
            w.WriteString("rewriteToken", token);
        }
        if (resource is not null)
        {
            w.WritePropertyName("resource");
            WriteObject(w, resource, endpoint);
        }
        w.WriteEndObject();
    });

    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string ETag(TestObject o) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{o.Generation}/{o.Metageneration}"));

    public static string SelfLink(Uri endpoint, string bucket, string name) =>
        $"{endpoint}storage/v1/b/{Uri.EscapeDataString(bucket)}/o/{Uri.EscapeDataString(name)}";

    public static string MediaLink(Uri endpoint, TestObject o) =>
        $"{endpoint}download/storage/v1/b/{Uri.EscapeDataString(o.Bucket)}/o/{Uri.EscapeDataString(o.Name)}?generation={o.Generation}&alt=media";

    private static void WriteObject(Utf8JsonWriter w, TestObject o, Uri endpoint)
    {
        w.WriteStartObject();
        w.WriteString("kind", "storage#object");
        w.WriteString("id", $"{o.Bucket}/{o.Name}/{o.Generation}");
        w.WriteString("selfLink", SelfLink(endpoint, o.Bucket, o.Name));
        w.WriteString("mediaLink", MediaLink(endpoint, o));
        w.WriteString("name", o.Name);
        w.WriteString("bucket", o.Bucket);
        w.WriteString("generation", Int(o.Generation));
        w.WriteString("metageneration", Int(o.Metageneration));
        w.WriteString("contentType", o.ContentType);
        w.WriteString("storageClass", "STANDARD");
        w.WriteString("size", Int(o.Size));
        w.WriteString("md5Hash", o.Md5);
        w.WriteString("crc32c", o.Crc32C);
        w.WriteString("etag", ETag(o));
        w.WriteString("timeCreated", Time(o.Created));
        w.WriteString("updated", Time(o.Updated));
        w.WriteString("timeStorageClassUpdated", Time(o.Created));
        if (o.EventBasedHold)
        {
            w.WriteBoolean("eventBasedHold", true);
        }
        if (o.Metadata.Count > 0)
        {
            w.WriteStartObject("metadata");
            foreach ((string key, string value) in o.Metadata)
            {
                w.WriteString(key, value);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteBucket(Utf8JsonWriter w, BucketInfo bucket, Uri endpoint)
    {
        w.WriteStartObject();
        w.WriteString("kind", "storage#bucket");
        w.WriteString("id", bucket.Name);
        w.WriteString("selfLink", $"{endpoint}storage/v1/b/{Uri.EscapeDataString(bucket.Name)}");
        w.WriteString("projectNumber", "0");
        w.WriteString("name", bucket.Name);
        w.WriteString("timeCreated", Time(bucket.Created));
        w.WriteString("updated", Time(bucket.Created));
        w.WriteString("metageneration", "1");
        w.WriteString("location", "US");
        w.WriteString("locationType", "multi-region");
        w.WriteString("storageClass", "STANDARD");
        w.WriteString("etag", "CAE=");
        w.WriteStartObject("iamConfiguration");
        w.WriteStartObject("uniformBucketLevelAccess");
        w.WriteBoolean("enabled", true);
        w.WriteEndObject();
        w.WriteString("publicAccessPrevention", "enforced");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }
        return buffer.WrittenMemory;
    }
}
