using System.Text.Json;

namespace Cctv.Shared.Evidence;

/// <summary>Typed reads of one JSON object's members; a missing member or a wrong type throws (the caller names the record).</summary>
internal sealed class JsonRecord
{
    private readonly Dictionary<string, JsonElement> _members = new(StringComparer.Ordinal);

    public JsonRecord(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 4 });
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("not a JSON object");
        }
        foreach (JsonProperty member in document.RootElement.EnumerateObject())
        {
            if (!_members.TryAdd(member.Name, member.Value.Clone()))
            {
                throw new FormatException($"member '{member.Name}' appears twice");
            }
        }
    }

    public string Str(string name) => Member(name, JsonValueKind.String).GetString()!;

    public long Int(string name) =>
        Member(name, JsonValueKind.Number).TryGetInt64(out long value) ? value : throw new FormatException($"'{name}' is not an integer");

    public DateTimeOffset Time(string name) =>
        CanonicalJson.ParseTime(Str(name)) ?? throw new FormatException($"'{name}' is not a time yyyy-MM-ddTHH:mm:ss.fffZ");

    private JsonElement Member(string name, JsonValueKind kind) =>
        _members.TryGetValue(name, out JsonElement value)
            ? value.ValueKind == kind ? value : throw new FormatException($"'{name}' is not a {kind.ToString().ToLowerInvariant()}")
            : throw new FormatException($"'{name}' is missing");
}
