using System.Text.Json;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// A document as read: its full name, its decoded fields, and the server's update time exactly as sent
/// (kept as text so a <c>currentDocument.updateTime</c> precondition can quote it back unchanged).
/// </summary>
public sealed class FirestoreDocument
{
    public FirestoreDocument(string name, IReadOnlyDictionary<string, object?> fields, string updateTime, string? createTime = null)
    {
        Name = name;
        Fields = fields;
        UpdateTime = updateTime;
        CreateTime = createTime;
    }

    /// <summary><c>projects/{p}/databases/{d}/documents/{collection}/{id}</c>.</summary>
    public string Name { get; }

    /// <summary>The last segment of <see cref="Name"/>.</summary>
    public string Id => Name[(Name.LastIndexOf('/') + 1)..];

    public IReadOnlyDictionary<string, object?> Fields { get; }

    public string UpdateTime { get; }

    public string? CreateTime { get; }

    public object? this[string field] => Fields.TryGetValue(field, out object? v) ? v : null;

    public string GetString(string field) => Required<string>(field);

    public long GetInt64(string field) => Required<long>(field);

    public DateTimeOffset GetTimestamp(string field) => Required<DateTimeOffset>(field);

    /// <summary>The string, or null when the field is missing or <c>nullValue</c>.</summary>
    public string? GetNullableString(string field) => Optional<string>(field);

    public long? GetNullableInt64(string field) => this[field] is null ? null : Required<long>(field);

    public DateTimeOffset? GetNullableTimestamp(string field) => this[field] is null ? null : Required<DateTimeOffset>(field);

    internal static FirestoreDocument Parse(JsonElement document)
    {
        string name = document.GetProperty("name").GetString()!;
        IReadOnlyDictionary<string, object?> fields = document.TryGetProperty("fields", out JsonElement f)
            ? FirestoreValues.DecodeFields(f)
            : new Dictionary<string, object?>();
        return new FirestoreDocument(name, fields,
            document.GetProperty("updateTime").GetString()!,
            document.TryGetProperty("createTime", out JsonElement c) ? c.GetString() : null);
    }

    private T Required<T>(string field) => this[field] switch
    {
        T value => value,
        null => throw new FormatException($"Document {Name} has no field '{field}'."),
        object other => throw new FormatException($"Field '{field}' of document {Name} is a {other.GetType().Name}, not a {typeof(T).Name}."),
    };

    private T? Optional<T>(string field) where T : class => this[field] is null ? null : Required<T>(field);
}
