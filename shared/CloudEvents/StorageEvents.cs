using System.Globalization;
using System.Text.Json;
using Cctv.Shared.Ports;
using CloudNative.CloudEvents;

namespace Cctv.Shared.CloudEvents;

/// <summary>
/// Cloud Storage's object events as <see cref="CloudEvent"/>s of CloudNative.CloudEvents: the type we handle, the
/// source a bucket's events carry, and an event whose data is held as the bytes it travels as.
/// </summary>
public static class StorageEvents
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The event type Cloud Storage sends when an object is created or overwritten.</summary>
    public const string ObjectFinalized = "google.cloud.storage.object.v1.finalized";

    /// <summary>The source of a bucket's events: a URI reference without a scheme, as Cloud Storage sends it.</summary>
    public static Uri Source(string bucket) => new($"//storage.googleapis.com/projects/_/buckets/{bucket}", UriKind.RelativeOrAbsolute);

    /// <summary>
    /// A spec 1.0 event whose data is the bytes it is sent as (<see cref="CloudEventHttp.Formatter"/> passes a
    /// <c>byte[]</c> through unchanged, whatever the content type, so a test can also send data that is not JSON).
    /// </summary>
    public static CloudEvent Create(string id, Uri source, string type, string? subject, DateTimeOffset? time, string? dataContentType, byte[] data) =>
        new(CloudEventsSpecVersion.V1_0)
        {
            Id = id,
            Source = source,
            Type = type,
            Subject = subject,
            Time = time,
            DataContentType = dataContentType,
            Data = data,
        };

    /// <summary>
    /// The event Cloud Storage sends when <paramref name="stored"/> is finalized: its ID names the bucket, object and
    /// generation (so a redelivery carries the same ID), its data the object's resource in JSON.
    /// </summary>
    public static CloudEvent Finalized(StoredObject stored, DateTimeOffset time)
    {
        var data = new StorageObjectData
        {
            Bucket = stored.Bucket,
            Name = stored.Name,
            Generation = stored.Generation.ToString(CultureInfo.InvariantCulture),
            Size = stored.Size.ToString(CultureInfo.InvariantCulture),
            Crc32C = stored.Crc32C,
            Md5Hash = stored.Md5,
            ContentType = stored.ContentType,
            Metadata = stored.Metadata,
            TimeCreated = stored.Updated,
            Updated = stored.Updated,
        };
        return Create($"{stored.Bucket}/{stored.Name}/{stored.Generation}", Source(stored.Bucket), ObjectFinalized, $"objects/{stored.Name}", time,
            "application/json", JsonSerializer.SerializeToUtf8Bytes(data, Json));
    }

    /// <summary>The event's data as bytes: events read from a request or the spool hold it that way.</summary>
    public static ReadOnlyMemory<byte> DataBytes(CloudEvent cloudEvent) => cloudEvent.Data switch
    {
        null => ReadOnlyMemory<byte>.Empty,
        byte[] bytes => bytes,
        _ => CloudEventHttp.Formatter.EncodeBinaryModeEventData(cloudEvent),
    };
}
