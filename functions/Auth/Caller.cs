using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Auth;

/// <summary>
/// Who is calling the player API and what they may see, as a <see cref="CatalogScope"/> the catalog applies inside its
/// queries: everything (an operator: the embedded backend's local token, or a grant of <see cref="GrantScope.All"/>), or
/// the recorders of the sites granted to them and the cameras (by recorder and camera) granted to them. A recording is
/// judged by its own recorder, so footage a camera recorded on another site's recorder stays that site's. A camera
/// grant of the layout before camera keys (a bare camera ID) opens nothing: it could mean another site's camera.
/// </summary>
public sealed class Caller
{
    private const string ItemKey = "cctv.caller";

    private Caller(string principal, CatalogScope scope, IReadOnlyDictionary<string, string> recorderSites, IReadOnlyList<AccessGrant> ignored)
    {
        Principal = principal;
        Scope = scope;
        RecorderSites = recorderSites;
        IgnoredGrants = ignored;
    }

    public string Principal { get; }

    /// <summary>
    /// The credential the request came with, for the audit of reads: <c>api-key:ID</c> (the key's public ID, never its
    /// secret), <c>id-token</c>, <c>local-token</c>; null when authentication did not say.
    /// </summary>
    public string? Credential { get; private init; }

    /// <summary>What this caller may see; the catalog's queries take it.</summary>
    public CatalogScope Scope { get; }

    public bool SeesEverything => Scope.All;

    /// <summary>Every recorder's site (to show a camera's site with it).</summary>
    public IReadOnlyDictionary<string, string> RecorderSites { get; }

    /// <summary>Grants that open nothing (bare camera IDs, from before camera keys): to be granted again by key.</summary>
    public IReadOnlyList<AccessGrant> IgnoredGrants { get; }

    /// <summary>An operator: sees every recording.</summary>
    public static Caller Operator(string principal, IReadOnlyDictionary<string, string>? recorderSites = null) =>
        new(principal, CatalogScope.Everything, recorderSites ?? new Dictionary<string, string>(), []);

    /// <summary>A principal with these grants, given every recorder's site.</summary>
    public static Caller WithGrants(string principal, IEnumerable<AccessGrant> grants, IReadOnlyDictionary<string, string> recorderSites)
    {
        List<AccessGrant> list = [.. grants];
        if (list.Any(g => g.Scope == GrantScope.All))
        {
            return Operator(principal, recorderSites);
        }
        var sites = list.Where(g => g.Scope == GrantScope.Site).Select(g => g.ScopeId).ToHashSet(StringComparer.Ordinal);
        IEnumerable<string> recorders = recorderSites.Where(p => sites.Contains(p.Value)).Select(p => p.Key);
        var cameras = new List<CameraKey>();
        var ignored = new List<AccessGrant>();
        foreach (AccessGrant g in list.Where(g => g.Scope is GrantScope.Camera or GrantScope.SiteCamera))
        {
            if (!CameraKey.TryParse(g.ScopeId, out CameraKey named))
            {
                ignored.Add(g);
            }
            else if (g.Scope == GrantScope.Camera)
            {
                cameras.Add(named);
            }
            else
            {
                // SITE~CAMERA: that camera ID on each recorder of the site.
                cameras.AddRange(recorderSites.Where(p => p.Value == named.RecorderId).Select(p => new CameraKey(p.Key, named.CameraId)));
            }
        }
        return new Caller(principal, CatalogScope.Of(recorders, cameras), recorderSites, ignored);
    }

    /// <summary>Reads a principal's grants and the recorders' sites from the catalog.</summary>
    public static async Task<Caller> LoadAsync(string principal, ICatalog catalog, CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<AccessGrant>> grants = catalog.ListGrantsAsync(principal, cancellationToken);
        Task<IReadOnlyDictionary<string, string>> sites = catalog.ListRecorderSitesAsync(cancellationToken);
        await Task.WhenAll(grants, sites);
        return WithGrants(principal, grants.Result, sites.Result);
    }

    /// <summary>This caller, authenticated by <paramref name="credential"/> (see <see cref="Credential"/>).</summary>
    public Caller WithCredential(string credential) => new(Principal, Scope, RecorderSites, IgnoredGrants) { Credential = credential };

    public bool CanSee(Recording recording) => Scope.Allows(recording.Camera);

    public bool CanSee(RecordingGap gap) => Scope.Allows(gap.Camera);

    public bool CanSee(CameraKey camera) => Scope.Allows(camera);

    /// <summary>The site of a recorder, or null when it has none.</summary>
    public string? SiteOf(string recorderId) => RecorderSites.TryGetValue(recorderId, out string? site) ? site : null;

    /// <summary>Stores the authenticated caller on the request.</summary>
    public void AttachTo(HttpContext http) => http.Items[ItemKey] = this;

    /// <summary>The request's caller; throws when authentication did not run (a wiring error, never a user's).</summary>
    public static Caller Of(HttpContext http) =>
        http.Items.TryGetValue(ItemKey, out object? caller) && caller is Caller c
            ? c
            : throw new InvalidOperationException("No caller on this request: the API authentication middleware is not in the pipeline.");
}
