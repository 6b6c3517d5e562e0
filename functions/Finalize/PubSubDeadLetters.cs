using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Gcp.PubSub;

namespace Cctv.Functions.Finalize;

/// <summary>
/// The gcp backend's dead letters: one message per refusal on the dead-letter topic (CCTV_DEAD_LETTER_TOPIC; terraform
/// points it at the retry path's dead-letter topic, whose pull subscription keeps messages for 7 days). The data is the
/// <see cref="DeadLetter"/> as JSON; the attributes say what it is (<see cref="KindAttribute"/>, so it is told apart
/// from a retry message Pub/Sub dead-lettered) and carry the CloudEvent's ID: Eventarc redelivers an event it was
/// answered 4xx for, each delivery publishes again, and a consumer dedupes on <see cref="EventIdAttribute"/>.
/// </summary>
public sealed class PubSubDeadLetters(PubSubPublisher publisher, string topic) : IDeadLetters
{
    public const string KindAttribute = "kind";
    public const string Kind = "refused_event";
    public const string EventIdAttribute = "event_id";
    public const string EventTypeAttribute = "event_type";
    public const string ObjectAttribute = "object";
    public const string GenerationAttribute = "generation";

    /// <summary>Pub/Sub's limit on an attribute value, in bytes; a publish with a longer one is refused (400) for good.</summary>
    public const int MaxAttributeBytes = 1024;

    public string Topic => topic;

    public async Task<string> RecordAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        string id = await publisher.PublishAsync(topic, new PubSubMessage(JsonSerializer.SerializeToUtf8Bytes(letter), Attributes(letter)), cancellationToken);
        return $"message {id} on {topic}";
    }

    /// <summary>
    /// The message's attributes. Every value fits Pub/Sub's limit whatever the event holds (a forged event may carry an
    /// ID or a name of any length): a value that does not fit is replaced by <c>sha256:</c> and the hex of its hash,
    /// which is as stable as the value itself, so redeliveries still share their <see cref="EventIdAttribute"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Attributes(DeadLetter letter)
    {
        var attributes = new Dictionary<string, string>
        {
            [KindAttribute] = Kind,
            [EventIdAttribute] = Fit(letter.EventId),
            [EventTypeAttribute] = Fit(letter.Type),
        };
        if (letter.Bucket is { Length: > 0 } bucket && letter.Name is { Length: > 0 } name)
        {
            attributes[ObjectAttribute] = Fit($"gs://{bucket}/{name}");
        }
        if (letter.Generation is { Length: > 0 } generation)
        {
            attributes[GenerationAttribute] = Fit(generation);
        }
        return attributes;
    }

    private static string Fit(string value) =>
        Encoding.UTF8.GetByteCount(value) <= MaxAttributeBytes ? value : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
