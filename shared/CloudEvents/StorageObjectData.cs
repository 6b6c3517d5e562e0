using System.Text.Json.Serialization;

namespace Cctv.Shared.CloudEvents;

/// <summary>
/// The data of a Cloud Storage object event (google.events.cloud.storage.v1.StorageObjectData, JSON form).
/// Only the fields we use; unknown ones are ignored. Numbers arrive as strings, as in the JSON API.
/// </summary>
public sealed record StorageObjectData
{
    [JsonPropertyName("bucket")] public string? Bucket { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("generation")] public string? Generation { get; init; }
    [JsonPropertyName("size")] public string? Size { get; init; }
    [JsonPropertyName("crc32c")] public string? Crc32C { get; init; }
    [JsonPropertyName("md5Hash")] public string? Md5Hash { get; init; }
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    [JsonPropertyName("timeCreated")] public DateTimeOffset? TimeCreated { get; init; }
    [JsonPropertyName("updated")] public DateTimeOffset? Updated { get; init; }
}
