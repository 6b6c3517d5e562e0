using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Api;

/// <summary>
/// The embedded backend's credential: one bearer token (CCTV_API_TOKEN, or generated and printed at start).
/// Compared in constant time. The cloud verifies Google ID tokens instead.
/// </summary>
public sealed class ApiToken(string token)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public string Value => token;

    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>Whether the request's bearer credential is this token (never, when the token is empty).</summary>
    public bool IsValid(HttpRequest request)
    {
        string? header = request.Headers.Authorization.FirstOrDefault();
        if (_expected.Length == 0 || header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        byte[] presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }
}
