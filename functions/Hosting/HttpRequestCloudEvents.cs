using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Hosting;

/// <summary>
/// Reads a binary-mode CloudEvent from an ASP.NET Core request into a <see cref="CloudEvent"/> of CloudNative.CloudEvents.
/// </summary>
/// <remarks>
/// This stands in for the package's <c>CloudNative.CloudEvents.AspNetCore</c> (its
/// <c>HttpRequestExtensions.ToCloudEventAsync</c>), which the registry these machines reach does not serve. It does
/// what that method does in binary mode, with the core package's own pieces: the spec version by
/// <see cref="CloudEventsSpecVersion.FromVersionId"/>, each <c>ce-*</c> header by
/// <see cref="HttpUtilities.GetAttributeNameFromHeaderName"/>, <see cref="HttpUtilities.DecodeHeaderValue"/> and
/// <see cref="CloudEvent.SetAttributeFromString"/> (which parses and validates each attribute), the required attributes
/// by the spec version's list. Two differences, both so that the caller can answer a clear 400 instead of a 500: a
/// failure comes back as a reason naming the header, not an exception; and the data stays the body's bytes, for the
/// caller to decode with a formatter once it has checked the type (a body that is not the JSON the type promises is a
/// poison event, recorded as a dead letter, not a malformed request). When the package is served, this class goes.
/// </remarks>
public static class HttpRequestCloudEvents
{
    public static CloudEvent? TryReadBinaryMode(HttpRequest request, byte[] body, out string? error)
    {
        string? versionId = request.Headers[HttpUtilities.SpecVersionHttpHeader].FirstOrDefault();
        if (string.IsNullOrWhiteSpace(versionId))
        {
            // Every absent header the spec requires, in its order (id first), so a request that is no CloudEvent says so.
            error = Missing(CloudEventsSpecVersion.V1_0.RequiredAttributes.Select(a => HttpUtilities.HttpHeaderPrefix + a.Name)
                .Where(h => string.IsNullOrWhiteSpace(request.Headers[h].FirstOrDefault())).Append(HttpUtilities.SpecVersionHttpHeader));
            return null;
        }
        CloudEventsSpecVersion? version = CloudEventsSpecVersion.FromVersionId(versionId);
        if (version is null)
        {
            error = $"unsupported CloudEvents specversion '{versionId}' (expected {CloudEventsSpecVersion.V1_0.VersionId})";
            return null;
        }
        var cloudEvent = new CloudEvent(version);
        foreach ((string header, Microsoft.Extensions.Primitives.StringValues values) in request.Headers)
        {
            string? name = HttpUtilities.GetAttributeNameFromHeaderName(header);
            string? value = values.FirstOrDefault();
            if (name is null || name == CloudEventsSpecVersion.SpecVersionAttribute.Name || value is null)
            {
                continue;
            }
            try
            {
                cloudEvent.SetAttributeFromString(name, HttpUtilities.DecodeHeaderValue(value));
            }
            catch (ArgumentException e)
            {
                error = $"{HttpUtilities.HttpHeaderPrefix}{name} '{value}' is not a valid CloudEvent attribute: {e.Message}";
                return null;
            }
        }
        List<string> missing = version.RequiredAttributes.Where(a => cloudEvent[a] is null).Select(a => HttpUtilities.HttpHeaderPrefix + a.Name).ToList();
        if (missing.Count > 0)
        {
            error = Missing(missing);
            return null;
        }
        cloudEvent.DataContentType = request.ContentType;
        cloudEvent.Data = body;
        error = null;
        return cloudEvent;
    }

    private static string Missing(IEnumerable<string> headers) =>
        $"missing CloudEvent header {string.Join(", ", headers.Select(h => $"'{h}'"))} (binary content mode is expected)";
}
