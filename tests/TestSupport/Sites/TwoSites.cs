using System.Text;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;

namespace Cctv.TestSupport.Sites;

/// <summary>
/// The adversarial two-site catalog every access test starts from. Site <c>site-a</c> has recorder <c>rec-a</c> with
/// cameras <c>cam1</c> and <c>gate</c>; site <c>site-b</c> has recorder <c>rec-b</c> with cameras <c>cam1</c> (the same ID
/// as site A's: what most installers type) and <c>dock</c>. rec-b starts after rec-a, as the second site does. Each camera
/// has <see cref="PerCamera"/> archived 4-second recordings at the same start times as every other camera (so pages mix
/// sites and ties are broken by ID), one gap, and each site has one lost recording and a heartbeat. Grants: a site grant
/// per site (a user and an API key principal each), a camera grant on rec-a's cam1 only, a site-camera grant on
/// site-b's cam1, an operator and a principal with nothing. With an object store, the archived bytes are stored too.
/// <see cref="Secrets"/> lists what of a site must never reach a caller of the other one.
/// </summary>
public sealed class TwoSites
{
    public const string SiteA = "site-a";
    public const string SiteB = "site-b";
    public const string RecA = "rec-a";
    public const string RecB = "rec-b";

    public static readonly CameraKey ACam1 = new(RecA, "cam1");
    public static readonly CameraKey AGate = new(RecA, "gate");
    public static readonly CameraKey BCam1 = new(RecB, "cam1");
    public static readonly CameraKey BDock = new(RecB, "dock");

    /// <summary>Users (Google / Firebase accounts by email) granted one site each.</summary>
    public const string UserA = "anna@site-a.example";
    public const string UserB = "boris@site-b.example";

    /// <summary>API key names (principal key:NAME) of the service clients: one per site, and narrower ones.</summary>
    public const string KeyA = "site-a-client";
    public const string KeyB = "site-b-client";
    /// <summary>Granted the camera rec-a~cam1 only (not rec-b's cam1).</summary>
    public const string KeyACam1 = "a-cam1-viewer";
    /// <summary>Granted site-b~cam1: cam1 on site B's recorders (not site A's cam1, not site B's dock).</summary>
    public const string KeyBSiteCam1 = "b-site-cam1-viewer";
    /// <summary>Granted everything (an operator).</summary>
    public const string KeyOperator = "operator-client";
    /// <summary>Granted nothing.</summary>
    public const string KeyNobody = "nobody-client";

    public static readonly string[] KeyNames = [KeyA, KeyB, KeyACam1, KeyBSiteCam1, KeyOperator, KeyNobody];

    private TwoSites(DateTimeOffset start, int perCamera)
    {
        Start = start;
        PerCamera = perCamera;
    }

    public DateTimeOffset Start { get; }

    public int PerCamera { get; }

    /// <summary>The archived recordings of each camera, oldest first.</summary>
    public Dictionary<CameraKey, List<Recording>> Recordings { get; } = [];

    /// <summary>Each site's lost recording, by site.</summary>
    public Dictionary<string, Recording> Lost { get; } = [];

    /// <summary>Each camera's gap.</summary>
    public Dictionary<CameraKey, RecordingGap> Gaps { get; } = [];

    public static IEnumerable<CameraKey> CamerasOf(string site) => site == SiteA ? [ACam1, AGate] : [BCam1, BDock];

    public static string RecorderOf(string site) => site == SiteA ? RecA : RecB;

    public static string Other(string site) => site == SiteA ? SiteB : SiteA;

    /// <summary>Every recording (archived and lost) of a camera, newest first (as a query lists them).</summary>
    public IReadOnlyList<Recording> NewestFirst(CameraKey camera) =>
        [.. Recordings[camera].Concat(Lost.Values.Where(r => r.Camera == camera))
            .OrderByDescending(r => r.Announcement.StartTime).ThenByDescending(r => r.Id, StringComparer.Ordinal)];

    /// <summary>Every recording (archived and lost) of a site.</summary>
    public IEnumerable<Recording> RecordingsOf(string site) =>
        CamerasOf(site).SelectMany(c => Recordings[c]).Append(Lost[site]);

    /// <summary>
    /// What of <paramref name="site"/> must never appear in an answer to a caller who may not see it: recording IDs,
    /// object names, the recorder and site IDs, camera names, gap reasons, the agent version it reported.
    /// </summary>
    public IReadOnlyList<string> Secrets(string site) =>
    [
        .. RecordingsOf(site).SelectMany(r => new[] { r.Id, r.Announcement.StagingObject, r.ArchiveObject }).OfType<string>(),
        .. CamerasOf(site).Select(c => Gaps[c].Reason),
        .. CamerasOf(site).Select(NameOf),
        Lost[site].Reason!,
        RecorderOf(site),
        site,
        AgentVersionOf(RecorderOf(site)),
    ];

    public static string NameOf(CameraKey camera) => $"{camera.CameraId} of {camera.RecorderId}";

    public static string AgentVersionOf(string recorder) => $"agent-of-{recorder}";

    /// <summary>The bytes of an archived recording: they name the site, so a leak shows.</summary>
    public static byte[] BytesOf(CameraKey camera, int seq) =>
        Encoding.UTF8.GetBytes($"{camera.RecorderId}/{camera.CameraId}/{seq}: footage of {(camera.RecorderId == RecA ? SiteA : SiteB)} only");

    /// <summary>
    /// Seeds <paramref name="catalog"/> (and, when given, the archive bucket of <paramref name="store"/>) with both sites,
    /// recordings from <paramref name="start"/> on.
    /// </summary>
    public static async Task<TwoSites> SeedAsync(ICatalog catalog, DateTimeOffset start, int perCamera = 5, IObjectStore? store = null,
        string archiveBucket = "cctv-archive", CancellationToken ct = default)
    {
        var sites = new TwoSites(start, perCamera);
        await AssignSitesAndGrantAsync(catalog, ct);
        // Site A's recorder starts first, then site B's with a camera of the same ID.
        foreach (CameraKey camera in (CameraKey[])[ACam1, AGate, BCam1, BDock])
        {
            await catalog.UpsertCameraAsync(new CameraInfo(camera.CameraId, NameOf(camera), camera.RecorderId), ct);
        }
        foreach (CameraKey camera in (CameraKey[])[ACam1, AGate, BCam1, BDock])
        {
            var list = new List<Recording>();
            for (int seq = 0; seq < perCamera; seq++)
            {
                list.Add(await ArchiveAsync(catalog, camera, seq, start.AddSeconds(seq * 4), store, archiveBucket, ct));
            }
            sites.Recordings[camera] = list;
            var gap = new RecordingGap($"gap-{camera.RecorderId}-{camera.CameraId}", camera.RecorderId, camera.CameraId,
                start.AddSeconds(perCamera * 4), start.AddSeconds(perCamera * 4 + 30), $"{camera.CameraId} of {camera.RecorderId} went offline");
            await catalog.RecordGapAsync(gap, ct);
            sites.Gaps[camera] = gap;
        }
        foreach (string site in (string[])[SiteA, SiteB])
        {
            CameraKey camera = CamerasOf(site).First();
            RecordingAnnouncement lost = Announcement(camera, 1000, start.AddSeconds(-60), 10, "00");
            await catalog.AnnounceAsync(lost, ct);
            await catalog.MarkLostAsync(lost.Id, $"segment of {site} lost on its recorder", ct);
            sites.Lost[site] = (await catalog.GetAsync(lost.Id, ct))!;
            await catalog.RecordHeartbeatAsync(new RecorderHeartbeat(RecorderOf(site), start, 2, 2048, start.AddMinutes(-1), AgentVersionOf(RecorderOf(site))), ct);
        }
        return sites;
    }

    /// <summary>
    /// The fixture's sites and grants without its recordings: rec-a on site-a, rec-b on site-b, and the grants of
    /// <see cref="KeyNames"/> and the users (for a catalog whose recordings come from real recorders).
    /// </summary>
    public static async Task AssignSitesAndGrantAsync(ICatalog catalog, CancellationToken ct = default)
    {
        await catalog.SetRecorderSiteAsync(new RecorderSite(RecA, SiteA), ct);
        await catalog.SetRecorderSiteAsync(new RecorderSite(RecB, SiteB), ct);
        await catalog.GrantAsync(AccessGrant.ToSite(Principals.User(UserA), SiteA), ct);
        await catalog.GrantAsync(AccessGrant.ToSite(Principals.User(UserB), SiteB), ct);
        await catalog.GrantAsync(AccessGrant.ToSite(Principals.Key(KeyA), SiteA), ct);
        await catalog.GrantAsync(AccessGrant.ToSite(Principals.Key(KeyB), SiteB), ct);
        await catalog.GrantAsync(AccessGrant.ToCamera(Principals.Key(KeyACam1), ACam1), ct);
        await catalog.GrantAsync(AccessGrant.ToSiteCamera(Principals.Key(KeyBSiteCam1), SiteB, "cam1"), ct);
        await catalog.GrantAsync(AccessGrant.ToEverything(Principals.Key(KeyOperator)), ct);
    }

    /// <summary>An archived recording of <paramref name="camera"/> (announced, staged, archived; its bytes stored when there is a store).</summary>
    public static async Task<Recording> ArchiveAsync(ICatalog catalog, CameraKey camera, int seq, DateTimeOffset at, IObjectStore? store = null,
        string archiveBucket = "cctv-archive", CancellationToken ct = default)
    {
        byte[] bytes = BytesOf(camera, seq);
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), ct);
        RecordingAnnouncement a = Announcement(camera, seq, at, digest.Size, digest.Sha256) with { Crc32C = digest.Crc32CBase64, Md5 = digest.Md5 };
        string archive = ObjectNames.Archive(a.Camera, at, a.Id);
        long generation = 1;
        if (store is not null)
        {
            StoredObject stored = await store.UploadAsync(new UploadRequest(archiveBucket, archive, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
                new Dictionary<string, string>()), new MemoryStream(bytes), ct);
            generation = stored.Generation;
        }
        await catalog.AnnounceAsync(a, ct);
        await catalog.MarkStagedAsync(a.Id, 1, ct);
        await catalog.MarkArchivedAsync(a.Id, archive, generation, ct);
        return (await catalog.GetAsync(a.Id, ct))!;
    }

    public static RecordingAnnouncement Announcement(CameraKey camera, int seq, DateTimeOffset at, long size, string sha256)
    {
        string id = RecordingId.For(camera.RecorderId, camera.CameraId, 1, seq);
        return new RecordingAnnouncement(id, camera.RecorderId, camera.CameraId, NameOf(camera), 1, seq, at, at.AddSeconds(4), size, sha256,
            "AAAAAA==", "md5", "video/mp4", ObjectNames.Staging(camera.RecorderId, camera.CameraId, id));
    }
}
