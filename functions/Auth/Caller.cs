using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Auth;

/// <summary>
/// Who is calling the player API and what they may see: everything (an operator: the embedded backend's local token, or
/// a grant of <see cref="GrantScope.All"/>), or the recordings of the sites and cameras granted to them. A site's
/// recordings are those made by the recorders assigned to it; a recording is judged by its own recorder, so footage a
/// camera recorded on another site's recorder stays that site's.
/// </summary>
public sealed class Caller
{
    private const string ItemKey = "cctv.caller";

    private readonly HashSet<string> _sites;
    private readonly HashSet<string> _cameras;
    private readonly IReadOnlyDictionary<string, string> _recorderSites;

    private Caller(string principal, bool all, IEnumerable<string> sites, IEnumerable<string> cameras, IReadOnlyDictionary<string, string> recorderSites)
    {
        Principal = principal;
        SeesEverything = all;
        _sites = new HashSet<string>(sites, StringComparer.Ordinal);
        _cameras = new HashSet<string>(cameras, StringComparer.Ordinal);
        _recorderSites = recorderSites;
    }

    public string Principal { get; }

    public bool SeesEverything { get; }

    /// <summary>An operator: sees every recording.</summary>
    public static Caller Operator(string principal) => new(principal, true, [], [], new Dictionary<string, string>());

    /// <summary>A principal with these grants, given every recorder's site.</summary>
    public static Caller WithGrants(string principal, IEnumerable<AccessGrant> grants, IReadOnlyDictionary<string, string> recorderSites)
    {
        List<AccessGrant> list = [.. grants];
        return new Caller(principal, list.Any(g => g.Scope == GrantScope.All),
            list.Where(g => g.Scope == GrantScope.Site).Select(g => g.ScopeId),
            list.Where(g => g.Scope == GrantScope.Camera).Select(g => g.ScopeId), recorderSites);
    }

    /// <summary>Reads a principal's grants and the recorders' sites from the catalog.</summary>
    public static async Task<Caller> LoadAsync(string principal, ICatalog catalog, CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<AccessGrant>> grants = catalog.ListGrantsAsync(principal, cancellationToken);
        Task<IReadOnlyDictionary<string, string>> sites = catalog.ListRecorderSitesAsync(cancellationToken);
        await Task.WhenAll(grants, sites);
        return WithGrants(principal, grants.Result, sites.Result);
    }

    public bool CanSee(Recording recording) => CanSee(recording.Announcement.RecorderId, recording.CameraId);

    public bool CanSee(RecordingGap gap) => CanSee(gap.RecorderId, gap.CameraId);

    /// <summary>Whether the camera's footage (by the recorder it belongs to now, when the catalog knows it) is granted.</summary>
    public bool CanSeeCamera(string cameraId, string? recorderId) =>
        SeesEverything || _cameras.Contains(cameraId) || (recorderId is not null && SiteGranted(recorderId));

    private bool CanSee(string recorderId, string cameraId) => SeesEverything || _cameras.Contains(cameraId) || SiteGranted(recorderId);

    private bool SiteGranted(string recorderId) => _recorderSites.TryGetValue(recorderId, out string? site) && _sites.Contains(site);

    /// <summary>Stores the authenticated caller on the request.</summary>
    public void AttachTo(HttpContext http) => http.Items[ItemKey] = this;

    /// <summary>The request's caller; throws when authentication did not run (a wiring error, never a user's).</summary>
    public static Caller Of(HttpContext http) =>
        http.Items.TryGetValue(ItemKey, out object? caller) && caller is Caller c
            ? c
            : throw new InvalidOperationException("No caller on this request: the API authentication middleware is not in the pipeline.");
}
