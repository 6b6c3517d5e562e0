using System.Globalization;
using System.Text.Json;

namespace Cctv.Functions.Retry;

/// <summary>
/// A Pub/Sub message as a push subscription delivers it (<c>{"message": {...}, "subscription": ..., "deliveryAttempt": n}</c>),
/// which is also the data of a <c>google.cloud.pubsub.topic.v1.messagePublished</c> CloudEvent.
/// </summary>
public sealed record PushedMessage(
    string MessageId,
    byte[] Data,
    IReadOnlyDictionary<string, string> Attributes,
    string? Subscription,
    int? DeliveryAttempt,
    DateTimeOffset? PublishTime)
{
    /// <summary>The CloudEvent type Eventarc uses for a Pub/Sub message.</summary>
    public const string MessagePublishedType = "google.cloud.pubsub.topic.v1.messagePublished";

    /// <summary>Reads a push body; null and the reason when it is not one.</summary>
    public static PushedMessage? TryParse(ReadOnlyMemory<byte> body, out string? error)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("message", out JsonElement m) || m.ValueKind != JsonValueKind.Object)
            {
                error = "the body is not a Pub/Sub push: it has no message object";
                return null;
            }
            string? id = Text(m, "messageId") ?? Text(m, "message_id");
            if (string.IsNullOrEmpty(id))
            {
                error = "the pushed message has no messageId";
                return null;
            }
            byte[] data = Text(m, "data") is { Length: > 0 } base64 ? Convert.FromBase64String(base64) : [];
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            if (m.TryGetProperty("attributes", out JsonElement attrs) && attrs.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty p in attrs.EnumerateObject())
                {
                    attributes[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
            DateTimeOffset? published = (Text(m, "publishTime") ?? Text(m, "publish_time")) is { } t
                && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset pt) ? pt : null;
            int? attempt = root.TryGetProperty("deliveryAttempt", out JsonElement a) && a.ValueKind == JsonValueKind.Number ? a.GetInt32() : null;
            error = null;
            return new PushedMessage(id, data, attributes, Text(root, "subscription"), attempt, published);
        }
        catch (JsonException e)
        {
            error = "the body is not JSON: " + e.Message;
            return null;
        }
        catch (FormatException)
        {
            error = "the pushed message's data is not base64";
            return null;
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
