using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cctv.Functions.Retry;

/// <summary>
/// A staged object whose processing failed and is to be tried again: the data of a message on the retry topic
/// (JSON, snake_case). Its attributes repeat the recording and object so an operator can filter dead letters.
/// </summary>
/// <param name="Bucket">The staging bucket.</param>
/// <param name="Name">The staged object.</param>
/// <param name="Generation">The generation the failed event was about, for the logs (the retry processes the object as it is now).</param>
/// <param name="RecordingId">The recording, when the name carries one.</param>
/// <param name="Reason">Why the first attempt failed.</param>
/// <param name="Source">Who handed it over: <c>finalize</c> or <c>sweep</c>.</param>
/// <param name="FailedAt">When it failed.</param>
public sealed record RetryMessage(
    [property: JsonPropertyName("bucket")] string Bucket,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("generation")] long? Generation,
    [property: JsonPropertyName("recording_id")] string? RecordingId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("failed_at")] DateTimeOffset FailedAt)
{
    public const string RecordingAttribute = "recording_id";
    public const string ObjectAttribute = "object";
    public const string SourceAttribute = "source";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    public IReadOnlyDictionary<string, string> Attributes()
    {
        var attributes = new Dictionary<string, string> { [ObjectAttribute] = $"gs://{Bucket}/{Name}", [SourceAttribute] = Source };
        if (RecordingId is { } id)
        {
            attributes[RecordingAttribute] = id;
        }
        return attributes;
    }

    /// <summary>Reads a retry message; null and the reason when the data is not one.</summary>
    public static RetryMessage? TryParse(ReadOnlySpan<byte> data, out string? error)
    {
        RetryMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<RetryMessage>(data);
        }
        catch (JsonException e)
        {
            error = "the message data is not a retry request (JSON): " + e.Message;
            return null;
        }
        if (message is null || string.IsNullOrEmpty(message.Bucket) || string.IsNullOrEmpty(message.Name))
        {
            error = "the message data names no bucket and object";
            return null;
        }
        error = null;
        return message;
    }
}

/// <summary>Where transient failures are handed over to be tried again later (the Pub/Sub retry topic on GCP).</summary>
public interface IRetryQueue
{
    /// <summary>Publishes the message; returns its ID. Throws when it could not be published (the caller must then fail too).</summary>
    Task<string> EnqueueAsync(RetryMessage message, CancellationToken cancellationToken);
}
