using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>What to sign: a request on a bucket (object null: the bucket itself), from a time, for a while.</summary>
/// <param name="Headers">Headers the holder of the URL must send exactly so (besides <c>host</c>, which is always signed).</param>
/// <param name="QueryParameters">More query parameters, signed with the rest (<c>response-content-disposition</c>, ...).</param>
public sealed record V4SigningRequest(
    string Method,
    string Bucket,
    string? ObjectName,
    DateTimeOffset Timestamp,
    TimeSpan Expiry,
    IReadOnlyDictionary<string, string>? Headers = null,
    IReadOnlyDictionary<string, string>? QueryParameters = null);

/// <summary>The steps of a V4 signature before the signing itself, and the URL that the signature completes.</summary>
public sealed record V4SignedParts(string CanonicalRequest, string StringToSign, string UnsignedUrl)
{
    /// <summary>The URL with <c>X-Goog-Signature</c>, the lower-case hex of the RSA-SHA256 signature of <see cref="StringToSign"/>.</summary>
    public string Complete(ReadOnlySpan<byte> signature) => UnsignedUrl + "&X-Goog-Signature=" + Convert.ToHexStringLower(signature);
}

/// <summary>
/// Cloud Storage's V4 signing process (<c>GOOG4-RSA-SHA256</c>), as a pure function: the canonical request (method,
/// path, sorted and RFC 3986-encoded query, lower-case sorted headers with their whitespace collapsed, the signed
/// header names, the payload hash or UNSIGNED-PAYLOAD), the string to sign (algorithm, timestamp, credential scope,
/// SHA-256 of the canonical request), and the URL without its signature. Signing the string is the caller's: a
/// service-account key, or IAM signBlob. Tested against Google's published conformance vectors.
/// </summary>
public static class V4Signing
{
    public const string Algorithm = "GOOG4-RSA-SHA256";

    /// <summary>The longest a V4 signature lives: seven days.</summary>
    public static readonly TimeSpan MaxExpiry = TimeSpan.FromSeconds(604_800);

    private const string Scope = "auto/storage/goog4_request";
    private const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    private const string ContentSha256Header = "x-goog-content-sha256";

    public static V4SignedParts Prepare(V4SigningRequest request, string clientEmail, V4UrlEndpoint endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(request.Method);
        ArgumentException.ThrowIfNullOrEmpty(request.Bucket);
        ArgumentException.ThrowIfNullOrEmpty(clientEmail);
        long seconds = (long)request.Expiry.TotalSeconds;
        if (seconds < 1 || request.Expiry > MaxExpiry)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"A V4 signed URL lives from 1 second to 7 days (604800 seconds), not {request.Expiry}.");
        }
        DateTime utc = request.Timestamp.UtcDateTime;
        string timestamp = utc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string credentialScope = utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "/" + Scope;

        (string host, string path) = endpoint.Style switch
        {
            V4UrlStyle.PathStyle => (endpoint.Host, "/" + request.Bucket + (request.ObjectName is null ? "" : "/" + EncodePath(request.ObjectName))),
            V4UrlStyle.VirtualHostedStyle => (request.Bucket.ToLowerInvariant() + "." + endpoint.Host, "/" + EncodePath(request.ObjectName ?? "")),
            _ => (endpoint.Host, "/" + EncodePath(request.ObjectName ?? "")),
        };

        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in request.Headers ?? new Dictionary<string, string>())
        {
            string key = name.Trim().ToLowerInvariant();
            headers[key] = headers.TryGetValue(key, out string? earlier) ? earlier + "," + CanonicalValue(value) : CanonicalValue(value);
        }
        headers["host"] = host;
        string signedHeaders = string.Join(';', headers.Keys);
        string payload = headers.TryGetValue(ContentSha256Header, out string? sha) ? sha : UnsignedPayload;

        var query = new List<KeyValuePair<string, string>>
        {
            new("X-Goog-Algorithm", Algorithm),
            new("X-Goog-Credential", clientEmail + "/" + credentialScope),
            new("X-Goog-Date", timestamp),
            new("X-Goog-Expires", seconds.ToString(CultureInfo.InvariantCulture)),
            new("X-Goog-SignedHeaders", signedHeaders),
        };
        foreach ((string name, string value) in request.QueryParameters ?? new Dictionary<string, string>())
        {
            query.Add(new(name, value));
        }
        string canonicalQuery = string.Join('&', query
            .Select(p => (Key: Uri.EscapeDataString(p.Key), Value: Uri.EscapeDataString(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));

        var canonical = new StringBuilder(512)
            .Append(request.Method.ToUpperInvariant()).Append('\n')
            .Append(path).Append('\n')
            .Append(canonicalQuery).Append('\n');
        foreach ((string name, string value) in headers)
        {
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payload);
        string canonicalRequest = canonical.ToString();

        string stringToSign = Algorithm + "\n" + timestamp + "\n" + credentialScope + "\n"
            + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)));
        string urlHost = endpoint.Style == V4UrlStyle.VirtualHostedStyle ? request.Bucket.ToLowerInvariant() + "." + endpoint.Authority : endpoint.Authority;
        return new V4SignedParts(canonicalRequest, stringToSign, endpoint.Scheme + "://" + urlHost + path + "?" + canonicalQuery);
    }

    /// <summary>Percent-encodes an object name as the canonical path wants it: everything but RFC 3986's unreserved characters and '/'.</summary>
    public static string EncodePath(string objectName) => string.Join('/', objectName.Split('/').Select(Uri.EscapeDataString));

    /// <summary>A header value as signed: trimmed, each run of spaces and tabs inside it one space.</summary>
    private static string CanonicalValue(string value)
    {
        var sb = new StringBuilder(value.Length);
        bool space = false;
        foreach (char c in value.AsSpan().Trim(" \t"))
        {
            if (c is ' ' or '\t')
            {
                space = true;
                continue;
            }
            if (space)
            {
                sb.Append(' ');
                space = false;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
