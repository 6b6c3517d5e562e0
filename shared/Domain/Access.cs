using System.Security.Cryptography;
using System.Text;

namespace Cctv.Shared.Domain;

/// <summary>What a grant opens: every recording of a site, of one camera, or everything (operators).</summary>
public enum GrantScope
{
    Site,
    /// <summary>One camera of one recorder: <see cref="AccessGrant.ScopeId"/> is its key, <c>RECORDER~CAMERA</c>.</summary>
    Camera,
    All,
    /// <summary>A camera of a site, on whichever of the site's recorders: <see cref="AccessGrant.ScopeId"/> is <c>SITE~CAMERA</c>.</summary>
    SiteCamera,
}

/// <summary>
/// Lets a principal see recordings. Principals are written <c>user:EMAIL</c> (a Google or Firebase account with a
/// verified email), <c>firebase:UID</c> (a Firebase account without one) and <c>key:NAME</c> (an API key of a service
/// client). A site's recordings are those of the recorders assigned to it (<see cref="RecorderSite"/>). A camera grant
/// names the camera with its recorder (<see cref="CameraKey"/>, <c>rec-a~cam1</c>) or with its site (<c>site-a~cam1</c>,
/// scope <see cref="GrantScope.SiteCamera"/>: that camera ID on the site's recorders), never by its bare ID, which
/// another site may use too. <see cref="ScopeId"/> is "*" for <see cref="GrantScope.All"/>.
/// </summary>
public sealed record AccessGrant(string Principal, GrantScope Scope, string ScopeId)
{
    public static AccessGrant ToSite(string principal, string siteId) => new(principal, GrantScope.Site, siteId);

    public static AccessGrant ToCamera(string principal, CameraKey camera) => new(principal, GrantScope.Camera, camera.ToString());

    public static AccessGrant ToSiteCamera(string principal, string siteId, string cameraId) =>
        new(principal, GrantScope.SiteCamera, siteId + CameraKey.Separator + cameraId);

    /// <summary>How to grant a camera now: what a refused bare camera grant's message says.</summary>
    public static string CameraGrantRule(string cameraId) =>
        $"a camera grant names the camera's recorder or site: --camera RECORDER{CameraKey.Separator}{cameraId}, "
        + $"--recorder RECORDER --camera {cameraId}, or --site SITE --camera {cameraId} (another site may have a camera called {cameraId} too)";

    /// <summary>A camera grant of the layout before keys (a bare camera ID): it opens nothing; re-grant with the recorder or site.</summary>
    public bool IsBareCameraGrant => Scope == GrantScope.Camera && Identifiers.IsValidSlug(ScopeId);

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
        if (IsBareCameraGrant)
        {
            throw new ArgumentException($"'{ScopeId}' is a bare camera ID: " + CameraGrantRule(ScopeId) + ".");
        }
        bool ok = Scope switch
        {
            GrantScope.All => ScopeId == "*",
            GrantScope.Camera or GrantScope.SiteCamera => CameraKey.TryParse(ScopeId, out _),
            _ => Identifiers.IsValidSlug(ScopeId),
        };
        if (!ok)
        {
            throw new ArgumentException(Scope switch
            {
                GrantScope.All => "A grant of everything has the scope ID '*'.",
                GrantScope.Camera => $"'{ScopeId}' is not a camera key RECORDER{CameraKey.Separator}CAMERA: {Identifiers.SlugRule} each.",
                GrantScope.SiteCamera => $"'{ScopeId}' is not SITE{CameraKey.Separator}CAMERA: {Identifiers.SlugRule} each.",
                _ => $"'{ScopeId}' is not a {Scope.ToWire()} ID: {Identifiers.SlugRule}.",
            });
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
        GrantScope.SiteCamera => "site-camera",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, null),
    };

    public static GrantScope ParseScope(string wire) => wire switch
    {
        "site" => GrantScope.Site,
        "camera" => GrantScope.Camera,
        "all" => GrantScope.All,
        "site-camera" => GrantScope.SiteCamera,
        _ => throw new FormatException($"'{wire}' is not a grant scope (site, camera, site-camera, all)."),
    };
}
