using System.Reflection;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cctv.Functions.Auth;

/// <summary>How a camera the request named (a key, or a bare camera ID) resolved for the caller.</summary>
/// <param name="Camera">The camera, when exactly one visible camera matched.</param>
/// <param name="Candidates">The visible cameras a bare ID matched when it matched more than one (it is ambiguous).</param>
public sealed record CameraMatch(CameraInfo? Camera, IReadOnlyList<CameraKey> Candidates)
{
    public static CameraMatch None { get; } = new(null, []);

    public bool IsAmbiguous => Candidates.Count > 1;

    /// <summary>The 400 message of an ambiguous bare camera ID, naming the keys to use instead.</summary>
    public string AmbiguityMessage(string asked) =>
        $"camera '{asked}' is ambiguous: more than one of your cameras is called that; name one by its key: {string.Join(", ", Candidates)}";
}

/// <summary>
/// The catalog as one caller sees it: every read of the player API goes through here with the caller's
/// <see cref="CatalogScope"/>, which the catalog applies inside its queries (so pages are full and cursors point at
/// rows the caller may see). A recording outside the scope is exactly as absent as one that does not exist (null, left
/// out of lists), so the API answers 404 and an ID reveals nothing. Rows are checked against the scope once more here,
/// as a second line of defence only. Handlers take it as a parameter; minimal APIs bind it from the request.
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

    /// <summary>A page of the caller's recordings (of <paramref name="cameras"/>, or all they may see when null).</summary>
    public async Task<RecordingPage> QueryAsync(IReadOnlyCollection<CameraKey>? cameras, DateTimeOffset? from, DateTimeOffset? to, int pageSize, PageCursor? after,
        CancellationToken cancellationToken)
    {
        RecordingPage page = await catalog.QueryAsync(new RecordingQuery(cameras, from, to, pageSize, after, caller.Scope), cancellationToken);
        return page.Items.All(caller.CanSee) ? page : new RecordingPage([.. page.Items.Where(caller.CanSee)], null);
    }

    /// <summary>
    /// The cameras the caller may see, by key; a camera granted by key that the catalog does not list (yet) is listed
    /// under its ID.
    /// </summary>
    public async Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<CameraInfo> listed = await catalog.ListCamerasAsync(caller.Scope, cancellationToken);
        var known = listed.Where(c => caller.CanSee(c.Key)).ToDictionary(c => c.Key);
        foreach (CameraKey granted in caller.Scope.Cameras.Where(k => !known.ContainsKey(k)))
        {
            known[granted] = new CameraInfo(granted.CameraId, granted.CameraId, granted.RecorderId);
        }
        return [.. known.Values.OrderBy(c => c.Key)];
    }

    /// <summary>
    /// The camera a request names: a key (<c>rec-a~cam1</c>) the caller may see, or a bare camera ID that exactly one of
    /// the caller's cameras has. A bare ID several of them have is ambiguous (the candidates are in the answer); one the
    /// caller cannot see matches nothing, like one that does not exist.
    /// </summary>
    public async Task<CameraMatch> FindCameraAsync(string asked, CancellationToken cancellationToken)
    {
        if (CameraKey.TryParse(asked, out CameraKey key))
        {
            return caller.CanSee(key)
                ? new CameraMatch((await ListCamerasAsync(cancellationToken)).FirstOrDefault(c => c.Key == key) ?? new CameraInfo(key.CameraId, key.CameraId, key.RecorderId), [key])
                : CameraMatch.None;
        }
        if (!Identifiers.IsValidSlug(asked))
        {
            return CameraMatch.None;
        }
        List<CameraInfo> named = [.. (await ListCamerasAsync(cancellationToken)).Where(c => c.Id == asked)];
        return named.Count switch
        {
            0 => CameraMatch.None,
            1 => new CameraMatch(named[0], [named[0].Key]),
            _ => new CameraMatch(null, [.. named.Select(c => c.Key)]),
        };
    }

    /// <summary>The breaks recorded in a camera's evidence chain, when the caller may see the camera (none otherwise).</summary>
    public async Task<IReadOnlyList<ChainBreakRecord>> ListChainBreaksAsync(CameraKey camera, CancellationToken cancellationToken) =>
        caller.CanSee(camera) ? await catalog.ListChainBreaksAsync(camera, cancellationToken) : [];

    public async Task<IReadOnlyList<RecordingGap>> ListGapsAsync(CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        caller.CanSee(camera)
            ? [.. (await catalog.ListGapsAsync(camera, from, to, cancellationToken)).Where(caller.CanSee)]
            : [];
}
