using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Api;

/// <summary>
/// Which origin the links the API hands out name (signed storage URLs of the embedded backend), and which Host headers
/// the host answers to. Links name the configured public base URL (CCTV_PUBLIC_BASE_URL) when there is one, and
/// otherwise the request's own scheme and Host, which must then be an allowed host: loopback (localhost, 127.0.0.1,
/// [::1]), the base URL's host, the hosts the server was told to listen on, and CCTV_ALLOWED_HOSTS. A request whose
/// Host is missing, empty, malformed (a port out of range) or not allowed is answered 400 before any handler runs.
/// Where links never name the request's host (Cloud Storage signs its own URLs) and nothing is configured, any
/// well-formed Host is accepted.
/// </summary>
public sealed class PublicOrigin
{
    internal const string ItemKey = "cctv.public-origin";
    private static readonly string[] Loopback = ["localhost", "127.0.0.1", "[::1]"];
    private static readonly System.Buffers.SearchValues<char> NotInAHost = System.Buffers.SearchValues.Create("/\\?#@ %");

    private readonly List<(string Host, int? Port)> _allowed = [];
    private readonly bool _anyHost;

    /// <param name="baseUrl">The configured public origin, or null (see <see cref="ParseBaseUrl"/>).</param>
    /// <param name="allowedHosts">More hosts (host or host:port) the server answers to (see <see cref="ParseHosts"/>).</param>
    /// <param name="anyHost">Accept any well-formed Host (only where links never name it and no host is configured); ignored with a base URL.</param>
    public PublicOrigin(Uri? baseUrl, IReadOnlyList<string> allowedHosts, bool anyHost)
    {
        BaseUrl = baseUrl;
        _anyHost = anyHost && baseUrl is null;
        foreach (string host in Loopback)
        {
            _allowed.Add((host, null));
        }
        if (baseUrl is not null)
        {
            // At any port: behind a proxy that ends TLS the request arrives as http, naming the host without its port.
            _allowed.Add((baseUrl.Host.ToLowerInvariant(), null));
        }
        foreach (string entry in allowedHosts)
        {
            Uri parsed = TryAuthority("http", entry, out string? error) ?? throw new ArgumentException(error);
            int colon = entry.LastIndexOf(':');
            _allowed.Add((parsed.Host.ToLowerInvariant(), colon >= 0 && colon > entry.LastIndexOf(']') ? parsed.Port : null));
        }
    }

    public Uri? BaseUrl { get; }

    /// <summary>Reads CCTV_PUBLIC_BASE_URL: an http(s) origin, nothing after the host and port; null when unset.</summary>
    /// <exception cref="ArgumentException">The value is not an origin; the message names the variable.</exception>
    public static Uri? ParseBaseUrl(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        string raw = value.Trim().TrimEnd('/');
        if (!Uri.TryCreate(raw, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/"
            || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"{key} is '{value}': it must be an http(s) origin, scheme://host[:port], such as https://cctv.example.com, without a path.");
        }
        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>Reads CCTV_ALLOWED_HOSTS: comma-separated host or host:port entries.</summary>
    /// <exception cref="ArgumentException">An entry is not a host; the message names the variable.</exception>
    public static IReadOnlyList<string> ParseHosts(string? value, string key)
    {
        var hosts = new List<string>();
        foreach (string entry in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryAuthority("http", entry, out string? error) is null)
            {
                throw new ArgumentException($"{key}: {error}");
            }
            hosts.Add(entry);
        }
        return hosts;
    }

    /// <summary>The hosts of listen URLs that name one (not 0.0.0.0, [::], * or +), which a client may name in its Host.</summary>
    public static IEnumerable<string> ListenHosts(IEnumerable<string> urls)
    {
        foreach (string url in urls)
        {
            if (Uri.TryCreate(url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal), UriKind.Absolute, out Uri? uri)
                && uri.Host is not ("wildcard" or "0.0.0.0" or "[::]") && uri.Port > 0)
            {
                yield return uri.Authority;
            }
        }
    }

    /// <summary>The origin of the links for this request, as the host check found it.</summary>
    public static Uri Of(HttpContext http) =>
        http.Items.TryGetValue(ItemKey, out object? origin) && origin is Uri uri
            ? uri
            : http.RequestServices.GetRequiredService<PublicOrigin>().Check(http.Request, out string? error) ?? throw new BadHttpHostException(error!);

    /// <summary>The origin of the links for a request, or null and why its Host is refused.</summary>
    public Uri? Check(HttpRequest request, out string? error)
    {
        string host = request.Headers.Host.Count == 1 ? request.Headers.Host[0] ?? "" : "";
        if (request.Headers.Host.Count > 1)
        {
            error = "the request carries more than one Host header";
            return null;
        }
        if (host.Length == 0)
        {
            error = "the request names no host: send a Host header (HTTP/1.1), such as Host: cctv.example.com";
            return null;
        }
        Uri? authority = TryAuthority(request.Scheme, host, out error);
        if (authority is null)
        {
            return null;
        }
        string name = authority.Host.ToLowerInvariant();
        if (!_anyHost && !_allowed.Any(a => a.Host == name && (a.Port is null || a.Port == authority.Port)))
        {
            error = $"this server does not answer to the host '{Printable(host)}'; use its configured address (CCTV_PUBLIC_BASE_URL, CCTV_ALLOWED_HOSTS)";
            return null;
        }
        return BaseUrl ?? authority;
    }

    /// <summary>scheme://host[:port]/ for a Host value, or null and why it is not one.</summary>
    private static Uri? TryAuthority(string scheme, string host, out string? error)
    {
        error = $"'{Printable(host)}' is not a host: write host or host:port, with a port from 1 to 65535";
        if (host.Length > 255 || host.AsSpan().IndexOfAny(NotInAHost) >= 0 || host.Any(char.IsControl))
        {
            return null;
        }
        if (!Uri.TryCreate($"{(scheme is "https" ? "https" : "http")}://{host}/", UriKind.Absolute, out Uri? uri)
            || uri.PathAndQuery != "/" || string.IsNullOrEmpty(uri.Host) || uri.Port is < 1 or > 65535 || !string.IsNullOrEmpty(uri.UserInfo)
            || host.EndsWith(':'))
        {
            return null;
        }
        error = null;
        return uri;
    }

    private static string Printable(string value)
    {
        string cut = value.Length > 80 ? value[..80] + "…" : value;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}

/// <summary>A request's Host header cannot name a link (see <see cref="PublicOrigin"/>).</summary>
public sealed class BadHttpHostException(string message) : Exception(message);

/// <summary>Answers 400 to a request whose Host is missing, malformed or not allowed, before anything else runs.</summary>
public static class HostCheck
{
    public static WebApplication UseHostCheck(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            Uri? origin = http.RequestServices.GetRequiredService<PublicOrigin>().Check(http.Request, out string? error);
            if (origin is null)
            {
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(HostCheck)).LogInformation(
                    "Refused {Method} {Path} from {Remote}: {Error}", http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress, error);
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                http.Response.Headers.CacheControl = "no-store";
                await http.Response.WriteAsJsonAsync(new ApiError(error!));
                return;
            }
            http.Items[PublicOrigin.ItemKey] = origin;
            await next(http);
        });
        return app;
    }
}
