using System.Globalization;
using System.Net;

namespace Cctv.Functions.Hosting;

/// <summary>
/// The host's own optional variables: where it listens and which origin its links name. Unlike
/// <see cref="FunctionEnvironment"/>'s, terraform does not set them (Cloud Run sets <c>K_SERVICE</c> and <c>PORT</c>).
/// </summary>
public static class HostEnvironment
{
    /// <summary>Set by Cloud Run on every service: there the host listens on every interface, as Cloud Run requires.</summary>
    public const string CloudRunService = "K_SERVICE";

    /// <summary>
    /// The IP address to listen on when no <c>--urls</c> are given (default 127.0.0.1; 0.0.0.0 on Cloud Run). Set it to
    /// 0.0.0.0 to serve other machines, e.g. in a container.
    /// </summary>
    public const string ListenAddress = "CCTV_LISTEN_ADDRESS";

    /// <summary>The origin (scheme://host[:port]) the links the API hands out name, e.g. https://cctv.example.com.</summary>
    public const string PublicBaseUrl = "CCTV_PUBLIC_BASE_URL";

    /// <summary>More host names (host or host:port, comma-separated) the host answers to, besides loopback and the base URL's.</summary>
    public const string AllowedHosts = "CCTV_ALLOWED_HOSTS";

    /// <summary>
    /// Where to listen when no <c>--urls</c> are given: <c>PORT</c> (default 8080) on 127.0.0.1, unless
    /// <see cref="ListenAddress"/> names another address; on Cloud Run (<see cref="CloudRunService"/> set) every interface.
    /// </summary>
    /// <exception cref="ArgumentException">A variable holds a bad value; the message names it.</exception>
    public static IReadOnlyList<string> DefaultUrls(Func<string, string?> environment)
    {
        string? Get(string name) => environment(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        int port = 8080;
        if (Get(FunctionEnvironment.Port) is { } rawPort
            && (!int.TryParse(rawPort, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new ArgumentException($"{FunctionEnvironment.Port} is '{rawPort}': it must be a port number from 1 to 65535.");
        }
        string address;
        if (Get(ListenAddress) is { } raw)
        {
            if (!IPAddress.TryParse(raw, out IPAddress? ip))
            {
                throw new ArgumentException($"{ListenAddress} is '{raw}': it must be an IP address, such as 127.0.0.1 or 0.0.0.0.");
            }
            address = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        }
        else
        {
            address = Get(CloudRunService) is not null ? "0.0.0.0" : "127.0.0.1";
        }
        return [string.Create(CultureInfo.InvariantCulture, $"http://{address}:{port}")];
    }
}
