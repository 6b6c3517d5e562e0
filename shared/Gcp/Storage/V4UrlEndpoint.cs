namespace Cctv.Shared.Gcp.Storage;

/// <summary>How a signed URL names the bucket: in the path, in the host name, or by a host bound to the bucket (a CNAME).</summary>
public enum V4UrlStyle
{
    /// <summary><c>https://storage.googleapis.com/BUCKET/OBJECT</c></summary>
    PathStyle,

    /// <summary><c>https://BUCKET.storage.googleapis.com/OBJECT</c></summary>
    VirtualHostedStyle,

    /// <summary><c>https://HOST/OBJECT</c>, where HOST serves exactly one bucket.</summary>
    BucketBoundHostname,
}

/// <summary>
/// Where signed URLs point. <see cref="Authority"/> is kept as written (a port the caller spelled out, even the
/// default one, stays in the URL); the signed <c>host</c> header is the host name without the port, as Google's
/// conformance vectors sign it.
/// </summary>
public sealed record V4UrlEndpoint(string Scheme, string Authority, V4UrlStyle Style = V4UrlStyle.PathStyle)
{
    public const string DefaultHost = "storage.googleapis.com";

    /// <summary>https://storage.googleapis.com, path style.</summary>
    public static readonly V4UrlEndpoint Production = new("https", DefaultHost);

    /// <summary>The host name alone (no port, no user info), lower case.</summary>
    public string Host
    {
        get
        {
            string authority = Authority;
            if (authority.StartsWith('['))
            {
                int close = authority.IndexOf(']', StringComparison.Ordinal);
                return (close > 0 ? authority[..(close + 1)] : authority).ToLowerInvariant();
            }
            int colon = authority.LastIndexOf(':');
            return (colon >= 0 ? authority[..colon] : authority).ToLowerInvariant();
        }
    }

    /// <summary>
    /// The endpoint a client configuration names, with the precedence Google's client libraries give it: an explicit
    /// host name, then the client's endpoint, then a storage emulator, then a universe domain
    /// (<c>storage.{universe}</c>), then Cloud Storage itself. A value without a scheme takes <paramref name="scheme"/>
    /// (https when null). For <see cref="V4UrlStyle.BucketBoundHostname"/>, <paramref name="bucketBoundHostname"/> is the host.
    /// </summary>
    public static V4UrlEndpoint Resolve(string? hostname = null, string? clientEndpoint = null, string? emulatorHost = null,
        string? universeDomain = null, string? scheme = null, V4UrlStyle style = V4UrlStyle.PathStyle, string? bucketBoundHostname = null)
    {
        string defaultScheme = string.IsNullOrEmpty(scheme) ? "https" : scheme.ToLowerInvariant();
        string? chosen = style == V4UrlStyle.BucketBoundHostname
            ? bucketBoundHostname ?? throw new ArgumentException("A bucket-bound host name is required for that URL style.", nameof(bucketBoundHostname))
            : Nonempty(hostname) ?? Nonempty(clientEndpoint) ?? Nonempty(emulatorHost)
                ?? (Nonempty(universeDomain) is { } universe ? "storage." + universe : DefaultHost);
        int separator = chosen.IndexOf("://", StringComparison.Ordinal);
        string endpointScheme = separator > 0 ? chosen[..separator].ToLowerInvariant() : defaultScheme;
        string authority = (separator > 0 ? chosen[(separator + 3)..] : chosen).TrimEnd('/');
        if (endpointScheme is not ("http" or "https"))
        {
            throw new ArgumentException($"A signed URL is http or https, not '{endpointScheme}'.");
        }
        if (authority.Length == 0 || authority.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{chosen}' is not a host name (with an optional port and scheme).");
        }
        return new V4UrlEndpoint(endpointScheme, authority, style);
    }

    private static string? Nonempty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
