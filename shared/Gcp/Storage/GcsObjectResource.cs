using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>The fields of the JSON API's object resource that a single-request upload reads back.</summary>
internal sealed class GcsObjectResource
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("bucket")] public string? Bucket { get; set; }
    [JsonPropertyName("generation")] public string? Generation { get; set; }
    [JsonPropertyName("size")] public string? Size { get; set; }
    [JsonPropertyName("crc32c")] public string? Crc32C { get; set; }
    [JsonPropertyName("md5Hash")] public string? Md5Hash { get; set; }
    [JsonPropertyName("contentType")] public string? ContentType { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, string>? Metadata { get; set; }
    [JsonPropertyName("updated")] public DateTimeOffset? Updated { get; set; }

    public StoredObject ToStoredObject() => new(
        Bucket ?? throw Malformed("bucket"),
        Name ?? throw Malformed("name"),
        long.Parse(Generation ?? throw Malformed("generation"), CultureInfo.InvariantCulture),
        long.Parse(Size ?? "0", CultureInfo.InvariantCulture),
        Crc32C ?? throw Malformed("crc32c"),
        Md5Hash,
        ContentType ?? "application/octet-stream",
        Metadata ?? [],
        Updated ?? DateTimeOffset.MinValue);

    private static JsonException Malformed(string field) => new($"the object resource has no '{field}'");
}

/// <summary>The metadata part of a single-request (multipart) upload: the object's name, type, checksums and metadata.</summary>
internal sealed class GcsUploadMetadata
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("contentType")] public required string ContentType { get; init; }
    [JsonPropertyName("crc32c")] public required string Crc32C { get; init; }
    [JsonPropertyName("md5Hash"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Md5Hash { get; init; }
    [JsonPropertyName("metadata")] public required IReadOnlyDictionary<string, string> Metadata { get; init; }
}
