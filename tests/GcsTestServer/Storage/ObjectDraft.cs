using System.Text.Json;
using Cctv.Testing.Gcs.Http;

namespace Cctv.Testing.Gcs.Storage;

/// <summary>
/// The object resource fields a client sends (upload metadata, patch, rewrite/copy overrides). Unknown fields are
/// ignored; <see cref="Metadata"/> keeps null values, which a patch uses to delete keys.
/// </summary>
internal sealed record ObjectDraft(
    string? Name,
    string? ContentType,
    IReadOnlyDictionary<string, string?>? Metadata,
    DeclaredChecksums Checksums,
    bool? EventBasedHold = null)
{
    public static readonly ObjectDraft Empty = new(null, null, null, default);

    public static ObjectDraft Parse(ReadOnlyMemory<byte> json)
    {
        if (json.IsEmpty || json.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return Empty;
        }
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw GcsException.Invalid("The request body must be a JSON object (an object resource).");
            }
            string? name = String(root, "name");
            string? contentType = String(root, "contentType");
            Dictionary<string, string?>? metadata = null;
            if (root.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind != JsonValueKind.Null)
            {
                if (meta.ValueKind != JsonValueKind.Object)
                {
                    throw GcsException.Invalid("Invalid value for metadata: it must be an object of strings.");
                }
                metadata = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (JsonProperty p in meta.EnumerateObject())
                {
                    metadata[p.Name] = p.Value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => p.Value.GetString(),
                        _ => p.Value.GetRawText(),
                    };
                }
            }
            var checksums = DeclaredChecksums.Create(String(root, "crc32c"), String(root, "md5Hash"), "the object metadata");
            bool? hold = null;
            if (root.TryGetProperty("eventBasedHold", out JsonElement held) && held.ValueKind != JsonValueKind.Null)
            {
                hold = held.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw GcsException.Invalid("Invalid value for eventBasedHold: it must be a boolean."),
                };
            }
            return new ObjectDraft(name, contentType, metadata, checksums, hold);
        }
        catch (JsonException e)
        {
            throw GcsException.Invalid($"The request body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>The user metadata to store for a new object (null values dropped).</summary>
    public IReadOnlyDictionary<string, string> StoredMetadata() =>
        Metadata is null
            ? new Dictionary<string, string>()
            : Metadata.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);

    private static string? String(JsonElement root, string property) =>
        root.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
