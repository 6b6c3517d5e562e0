using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cctv.TestSupport.Gcp;

/// <summary>
/// Stands in for Google as an OIDC issuer: an RSA key of its own, its public half served as a JWK set on a loopback
/// port (what Google serves at https://www.googleapis.com/oauth2/v3/certs), and RS256 ID tokens with the claims
/// Pub/Sub and Cloud Scheduler put in theirs. The functions verify these with Google.Apis.Auth pointed at
/// <see cref="CertificatesUrl"/>, exactly as they verify Google's.
/// </summary>
public sealed class TestTokenIssuer : IAsyncDisposable
{
    // One key for the whole test run: Google.Apis.Auth caches key sets by URL, and a later issuer may get a port an
    // earlier one used; with a key of its own its tokens would then be checked against the earlier key set.
    private static readonly RSA Key = RSA.Create(2048);
    private static readonly RSA Stranger = RSA.Create(2048);
    private const string KeyId = "cctv-test-key-1";
    private readonly WebApplication _app;

    private TestTokenIssuer(WebApplication app) => _app = app;

    public Uri CertificatesUrl { get; private set; } = null!;

    public static async Task<TestTokenIssuer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var issuer = new TestTokenIssuer(app);
        app.MapGet("/certs", () => Results.Text(issuer.Jwks(), "application/json"));
        await app.StartAsync();
        issuer.CertificatesUrl = new Uri(new Uri(app.Urls.First()), "/certs");
        return issuer;
    }

    /// <summary>An ID token as Google issues one for a service account (iss accounts.google.com, email verified).</summary>
    public string Token(string audience, string email, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null, string issuer = "https://accounts.google.com",
        bool emailVerified = true, bool signedByStranger = false)
    {
        DateTimeOffset iat = issuedAt ?? DateTimeOffset.UtcNow.AddSeconds(-5);
        var payload = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = "1" + Math.Abs(email.GetHashCode(StringComparison.Ordinal)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["azp"] = "1234567890",
            ["email"] = email,
            ["email_verified"] = emailVerified,
            ["iat"] = iat.ToUnixTimeSeconds(),
            ["exp"] = (iat + (lifetime ?? TimeSpan.FromHours(1))).ToUnixTimeSeconds(),
        };
        string header = Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "RS256", ["kid"] = KeyId, ["typ"] = "JWT" }));
        string body = Encode(JsonSerializer.SerializeToUtf8Bytes(payload));
        byte[] signature = (signedByStranger ? Stranger : Key).SignData(Encoding.ASCII.GetBytes($"{header}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{body}.{Encode(signature)}";
    }

    private string Jwks()
    {
        RSAParameters p = Key.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "RSA", alg = "RS256", use = "sig", kid = KeyId, n = Encode(p.Modulus!), e = Encode(p.Exponent!) } },
        });
    }

    private static string Encode(byte[] bytes) => Base64Url.EncodeToString(bytes);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
