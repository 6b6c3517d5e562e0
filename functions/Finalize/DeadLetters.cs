using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CloudNative.CloudEvents;
using Cctv.Shared.Local;

namespace Cctv.Functions.Finalize;

/// <summary>
/// An event refused for good (a poison event): what it was (its CloudEvent attributes, and the bucket, object and
/// generation its data names, where it names them), why it was refused and when, and its data (base64), for an operator.
/// </summary>
public sealed record DeadLetter(
    [property: JsonPropertyName("event_id")] string EventId,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("bucket")] string? Bucket,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("generation")] string? Generation,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("refused_at")] DateTimeOffset RefusedAt,
    [property: JsonPropertyName("data")] string Data)
{
    /// <param name="data">The event's data as it arrived (the body of a binary-mode request), whatever it was decoded into.</param>
    public static DeadLetter Of(CloudEvent cloudEvent, ReadOnlyMemory<byte> data, string reason, DateTimeOffset at)
    {
        (string? bucket, string? name, string? generation) = ObjectOf(data.Span);
        return new(cloudEvent.Id!, cloudEvent.Source!.OriginalString, cloudEvent.Type!, cloudEvent.Subject, bucket, name, generation, reason, at,
            Convert.ToBase64String(data.Span));
    }

    /// <summary>The bucket, name and generation a storage event's data names; nulls where the data is not JSON or lacks them.</summary>
    private static (string? Bucket, string? Name, string? Generation) ObjectOf(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            if (!JsonDocument.TryParseValue(ref reader, out JsonDocument? document))
            {
                return default;
            }
            using (document)
            {
                JsonElement root = document.RootElement;
                string? Text(string property) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(property, out JsonElement v)
                    ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null }
                    : null;
                return (Text("bucket"), Text("name"), Text("generation"));
            }
        }
        catch (JsonException)
        {
            return default;
        }
    }
}

/// <summary>Where events refused for good are recorded, so that one answered 4xx is not lost without a trace.</summary>
public interface IDeadLetters
{
    /// <summary>
    /// Records the event durably and says where (a file, a message ID). A redelivered event is recorded again under
    /// the same event ID, which the record carries, so it is recognisable. Throws when it could not be recorded.
    /// </summary>
    Task<string> RecordAsync(DeadLetter letter, CancellationToken cancellationToken);
}

/// <summary>
/// The embedded backend's dead letters: one JSON file per event ID in <c>{data}/cloud/dead-letters/</c>, written
/// atomically and fsynced, named by a hash of the ID so a redelivered event replaces its record instead of adding one.
/// </summary>
public sealed class LocalDeadLetters(string directory) : IDeadLetters
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static LocalDeadLetters For(LocalBackend backend) => new(Path.Combine(backend.DataDir, "cloud", "dead-letters"));

    public string Directory { get; } = Path.GetFullPath(directory);

    public async Task<string> RecordAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(letter.EventId)))[..32] + ".json";
        string path = Path.Combine(Directory, name);
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(stream, letter, Json, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        Durability.FsyncDirectory(Directory);
        return path;
    }

    /// <summary>Every recorded dead letter, oldest first.</summary>
    public IReadOnlyList<DeadLetter> List() =>
        !System.IO.Directory.Exists(Directory) ? []
        : System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Select(p => JsonSerializer.Deserialize<DeadLetter>(File.ReadAllBytes(p), Json)!)
            .OrderBy(d => d.RefusedAt)
            .ToList();
}
