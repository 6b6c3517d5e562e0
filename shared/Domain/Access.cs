using System.Security.Cryptography;
using System.Text;

namespace Cctv.Shared.Domain;

/// <summary>What a grant opens: every recording of a site, of one camera, or everything (operators).</summary>
public enum GrantScope
{
    Site,
    Camera,
    All,
}

/// <summary>
/// Lets a principal see recordings. Principals are written <c>user:EMAIL</c> (a Google or Firebase account with a
/// verified email), <c>firebase:UID</c> (a Firebase account without one) and <c>key:NAME</c> (an API key of a service
/// client). A site's recordings are those of the recorders assigned to it (<see cref="RecorderSite"/>); a camera grant
/// opens that camera's recordings whichever recorder made them. <see cref="ScopeId"/> is "*" for <see cref="GrantScope.All"/>.
/// </summary>
public sealed record AccessGrant(string Principal, GrantScope Scope, string ScopeId)
{
    public static AccessGrant ToSite(string principal, string siteId) => new(principal, GrantScope.Site, siteId);

    public static AccessGrant ToCamera(string principal, string cameraId) => new(principal, GrantScope.Camera, cameraId);

    public static AccessGrant ToEverything(string principal) => new(principal, GrantScope.All, "*");

    /// <summary>A stable key for the grant (a Firestore document ID): the SHA-256 of its three parts, hex.</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Principal}\n{Scope.ToWire()}\n{ScopeId}")))[..40];

    /// <summary>Throws <see cref="ArgumentException"/> naming the part that is wrong.</summary>
    public void Validate()
    {
        if (!Principals.IsValid(Principal))
        {
            throw new ArgumentException($"'{Principal}' is not a principal: write user:EMAIL, firebase:UID or key:NAME.");
        }
        bool ok = Scope switch
        {
            GrantScope.All => ScopeId == "*",
            _ => Identifiers.IsValidSlug(ScopeId),
        };
        if (!ok)
        {
            throw new ArgumentException(Scope == GrantScope.All
                ? "A grant of everything has the scope ID '*'."
                : $"'{ScopeId}' is not a {Scope.ToWire()} ID: {Identifiers.SlugRule}.");
        }
    }
}

/// <summary>Which site a recorder records for. A recorder with no site is visible only through camera grants and to operators.</summary>
public sealed record RecorderSite(string RecorderId, string SiteId);

/// <summary>
/// An API key of a service client, as the catalog keeps it: its public ID, the principal it acts as, and the SHA-256 of
/// its secret (never the secret: a leaked catalog opens nothing). The key itself is <c>cctv_{KeyId}_{secret}</c>.
/// </summary>
public sealed record ApiKeyRecord(string KeyId, string Principal, string SecretSha256, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null);

public static class Principals
{
    public const string UserPrefix = "user:";
    public const string FirebasePrefix = "firebase:";
    public const string KeyPrefix = "key:";

    public static string User(string email) => UserPrefix + email.Trim().ToLowerInvariant();

    public static string Key(string name) => KeyPrefix + name;

    public static bool IsValid(string? principal) =>
        principal is { Length: > 5 and <= 320 }
        && (principal.StartsWith(UserPrefix, StringComparison.Ordinal) && principal.Contains('@', StringComparison.Ordinal)
            || principal.StartsWith(FirebasePrefix, StringComparison.Ordinal)
            || principal.StartsWith(KeyPrefix, StringComparison.Ordinal) && Identifiers.IsValidSlug(principal[KeyPrefix.Length..]))
        && !principal.Any(char.IsControl);
}

public static class GrantScopeNames
{
    public static string ToWire(this GrantScope scope) => scope switch
    {
        GrantScope.Site => "site",
        GrantScope.Camera => "camera",
        GrantScope.All => "all",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, null),
    };

    public static GrantScope ParseScope(string wire) => wire switch
    {
        "site" => GrantScope.Site,
        "camera" => GrantScope.Camera,
        "all" => GrantScope.All,
        _ => throw new FormatException($"'{wire}' is not a grant scope (site, camera, all)."),
    };
}
