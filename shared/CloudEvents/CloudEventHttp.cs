using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using CloudNative.CloudEvents.SystemTextJson;

namespace Cctv.Shared.CloudEvents;

/// <summary>
/// Sends CloudEvents over HTTP in binary content mode (attributes in <c>ce-*</c> headers, data in the body: the form
/// Eventarc delivers), through the package's own <see cref="HttpClientExtensions.ToHttpContent(CloudEvent, ContentMode, CloudEventFormatter)"/>.
/// </summary>
public static class CloudEventHttp
{
    /// <summary>The package's JSON formatter, in the web's conventions; it sends data held as a <c>byte[]</c> as it is.</summary>
    public static CloudEventFormatter Formatter { get; } = new JsonEventFormatter(new JsonSerializerOptions(JsonSerializerDefaults.Web), default);

    public static HttpRequestMessage ToBinaryModeRequest(CloudEvent cloudEvent, Uri target) => new(HttpMethod.Post, target)
    {
        Content = cloudEvent.ToHttpContent(ContentMode.Binary, Formatter),
    };
}
