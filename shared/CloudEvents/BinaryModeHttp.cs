using System.Globalization;
using System.Net.Http.Headers;

namespace Cctv.Shared.CloudEvents;

/// <summary>Maps CloudEvents to and from binary-mode HTTP messages (the form Eventarc delivers).</summary>
public static class BinaryModeHttp
{
    private static readonly string[] Required = ["ce-id", "ce-source", "ce-type", "ce-specversion"];

    public static HttpRequestMessage ToRequest(CloudEvent cloudEvent, Uri target)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new ReadOnlyMemoryContent(cloudEvent.Data),
        };
        request.Headers.Add("ce-id", cloudEvent.Id);
        request.Headers.Add("ce-source", cloudEvent.Source);
        request.Headers.Add("ce-type", cloudEvent.Type);
        request.Headers.Add("ce-specversion", CloudEvent.SpecVersion);
        if (cloudEvent.Subject is not null)
        {
            request.Headers.Add("ce-subject", cloudEvent.Subject);
        }
        if (cloudEvent.Time is { } time)
        {
            request.Headers.Add("ce-time", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        }
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(cloudEvent.DataContentType ?? "application/json");
        return request;
    }

    /// <summary>
    /// Reads a binary-mode CloudEvent from request headers and body. Returns null and the reason when the
    /// message is not a valid CloudEvent, so the caller can answer 400 (not 500, which would be redelivered).
    /// </summary>
    public static CloudEvent? TryParse(
        Func<string, string?> header, string? contentType, ReadOnlyMemory<byte> body, out string? error)
    {
        foreach (string name in Required)
        {
            if (string.IsNullOrWhiteSpace(header(name)))
            {
                error = $"missing CloudEvent header '{name}' (binary content mode is expected)";
                return null;
            }
        }
        string specVersion = header("ce-specversion")!;
        if (specVersion != CloudEvent.SpecVersion)
        {
            error = $"unsupported CloudEvents specversion '{specVersion}' (expected {CloudEvent.SpecVersion})";
            return null;
        }
        DateTimeOffset? time = null;
        if (header("ce-time") is { Length: > 0 } rawTime)
        {
            if (!DateTimeOffset.TryParse(rawTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
            {
                error = $"ce-time '{rawTime}' is not an RFC 3339 timestamp";
                return null;
            }
            time = parsed;
        }
        error = null;
        return new CloudEvent(header("ce-id")!, header("ce-source")!, header("ce-type")!, header("ce-subject"), time, contentType, body);
    }
}
