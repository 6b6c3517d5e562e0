using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Auth;

/// <summary>
/// API keys of service clients: <c>cctv_{id}_{secret}</c>, 12 hex characters of public ID and 256 random bits of
/// secret. The catalog keeps the ID, the principal (<c>key:NAME</c>) and the SHA-256 of the secret, never the secret:
/// the key is shown once, when it is made. (A fast hash is enough for 256 random bits; a password hash is for secrets
/// people choose.) A key acts with the grants of its principal.
/// </summary>
public static partial class ApiKeys
{
    public const string Prefix = "cctv_";

    [GeneratedRegex("^cctv_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")]
    private static partial Regex KeyPattern();

    /// <summary>Whether a bearer credential has the shape of an API key (so it is checked as one, not as an ID token).</summary>
    public static bool LooksLikeKey(string credential) => credential.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Makes a key for <paramref name="name"/> and stores its hash; returns the key, which nothing else will ever show again.</summary>
    public static async Task<(string Key, ApiKeyRecord Record)> CreateAsync(ICatalog catalog, string name, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Identifiers.IsValidSlug(name))
        {
            throw new ArgumentException($"'{name}' is not a key name: {Identifiers.SlugRule}.");
        }
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        string secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var record = new ApiKeyRecord(id, Principals.Key(name), Hash(secret), time.GetUtcNow());
        await catalog.CreateApiKeyAsync(record, cancellationToken);
        return ($"{Prefix}{id}_{secret}", record);
    }

    /// <summary>The principal of a valid, unrevoked key; null for anything else (malformed, unknown, revoked, wrong secret).</summary>
    public static async Task<string?> VerifyAsync(ICatalog catalog, string key, CancellationToken cancellationToken)
    {
        Match m = KeyPattern().Match(key);
        if (!m.Success)
        {
            return null;
        }
        ApiKeyRecord? record = await catalog.GetApiKeyAsync(m.Groups[1].Value, cancellationToken);
        if (record is null || record.RevokedAt is not null)
        {
            return null;
        }
        byte[] presented = Encoding.ASCII.GetBytes(Hash(m.Groups[2].Value));
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(record.SecretSha256)) ? record.Principal : null;
    }

    /// <summary>The key's public ID (to revoke it), or null when it is not a key.</summary>
    public static string? IdOf(string key) => KeyPattern().Match(key) is { Success: true } m ? m.Groups[1].Value : null;

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));
}
