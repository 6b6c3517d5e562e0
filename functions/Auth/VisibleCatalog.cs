using System.Reflection;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cctv.Functions.Auth;

/// <summary>
/// The catalog as one caller sees it: the reads of the player API, each filtered by the caller's grants. A recording
/// outside them is exactly as absent as one that does not exist (null, left out of lists), so the API answers 404 and
/// an ID reveals nothing. Handlers take it as a parameter; minimal APIs bind it from the request (<see cref="BindAsync"/>).
/// </summary>
public sealed class VisibleCatalog(ICatalog catalog, Caller caller)
{
    public Caller Caller => caller;

    public ICatalog Inner => catalog;

    public static ValueTask<VisibleCatalog?> BindAsync(HttpContext http, ParameterInfo parameter) =>
        ValueTask.FromResult<VisibleCatalog?>(new VisibleCatalog(http.RequestServices.GetRequiredService<ICatalog>(), Caller.Of(http)));

    public async Task<Recording?> GetAsync(string id, CancellationToken cancellationToken) =>
        await catalog.GetAsync(id, cancellationToken) is { } r && caller.CanSee(r) ? r : null;

    public async Task<IReadOnlyList<Recording>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        [.. (await catalog.GetManyAsync(ids, cancellationToken)).Where(caller.CanSee)];

    /// <summary>
    /// The query, limited to the cameras the caller may see (a restricted caller's query names its cameras, so paging
    /// stays exact), and every recording checked again by its own recorder.
    /// </summary>
    public async Task<RecordingPage> QueryAsync(RecordingQuery query, CancellationToken cancellationToken)
    {
        if (!caller.SeesEverything)
        {
            IReadOnlyList<CameraInfo> visible = await ListCamerasAsync(cancellationToken);
            HashSet<string> allowed = [.. visible.Select(c => c.Id)];
            HashSet<string> cameras = query.CameraIds is { Count: > 0 } asked ? [.. asked.Where(allowed.Contains)] : allowed;
            if (cameras.Count == 0)
            {
                return new RecordingPage([], null);
            }
            query = query with { CameraIds = cameras };
        }
        RecordingPage page = await catalog.QueryAsync(query, cancellationToken);
        return caller.SeesEverything ? page : page with { Items = [.. page.Items.Where(caller.CanSee)] };
    }

    /// <summary>
    /// The cameras the caller may see. A restricted caller also sees the cameras granted to them by ID that the
    /// catalog does not list (yet).
    /// </summary>
    public async Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CancellationToken cancellationToken) =>
        [.. (await catalog.ListCamerasAsync(cancellationToken)).Where(c => caller.CanSeeCamera(c.Id, c.RecorderId))];

    /// <summary>The camera as the catalog lists it, when the caller may see it; null otherwise (and for a camera nobody knows).</summary>
    public async Task<CameraInfo?> FindCameraAsync(string cameraId, CancellationToken cancellationToken)
    {
        CameraInfo? known = (await catalog.ListCamerasAsync(cancellationToken)).FirstOrDefault(c => c.Id == cameraId);
        return caller.CanSeeCamera(cameraId, known?.RecorderId) ? known ?? new CameraInfo(cameraId, cameraId, "") : null;
    }

    public async Task<IReadOnlyList<RecordingGap>> ListGapsAsync(string cameraId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        await FindCameraAsync(cameraId, cancellationToken) is null
            ? []
            : [.. (await catalog.ListGapsAsync(cameraId, from, to, cancellationToken)).Where(caller.CanSee)];
}
